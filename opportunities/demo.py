# ruff: noqa: RUF001 (the Chinese demo text uses Chinese punctuation)
"""Demo opportunities for `manage.py seed_demo`: a few thousand deals on the demo accounts over
the last 18 months, each with the history a real deal leaves behind, so that forecasts (stage
conversion, time to close) and alerts (stalls, slips, skips, drops, silence, single threads)
have material to work on (DESIGN.md §1.7).

How a deal is made. Each deal is simulated forward in time from its (back-dated) creation: in
every stage it draws a dwell time from the stage's log-normal distribution and a chance of dying
there (lost or abandoned, with a reason that fits the stage); the survivors advance, a few skip
a stage with a manager's override (and a handful without one), a few are sent back a stage. A
deal whose next move would fall on or after today is still open in that stage. Around the walk
the simulation writes what the rep and the manager would have recorded on the way: every move
as a StageChange with the days spent in the stage left, the required milestones of every stage
left (checked with a short evidence note, linked to an activity where the milestone asks for
one), the gates the deal passed (requested by the owner, decided by the team's manager), the
MEDDPICC facts learnt so far, the customer's purchase stage (some deals over-report, some were
entered late), close-date pushes, amount drops, probability and forecast-category history,
activities with next steps, the decision chain, competitors and, for won deals, the delivery
handover. The opportunity row ends consistent with its last StageChange, as the services would
leave it.

Why not through the services. opportunities.services stamps every row with "now" and locks,
re-reads and re-checks the deal on every call; history has to be back-dated, and the ~170,000
rows of 3,200 deals, one service call at a time, would take many minutes. So the rows are
built in memory by the rules the services enforce (effective probability, won = contract
milestone + handover, lost = reason, milestones and gates before leaving a stage) and
bulk-created in chunks of deals; one row in VALIDATE_EVERY of every kind, and the first of each
chunk, goes through full_clean() so that a model rule the simulation forgot fails the seeding
loudly. One transaction around the whole seeding keeps SQLite fast. On SQLite the 3,200 deals
take about 20 s: a third simulating, two thirds inserting.

Determinism and idempotency. The deals are allotted to accounts, dated (in days before today)
and named by the random generator alone; every deal then simulates from a generator of its own,
so the same seed always plans the same deals. A deal is known by its natural key (account,
name), and names do not depend on today's date: a second run finds every name taken, simulates
nothing and writes nothing.

Tiers. Won revenue now feeds the contribution and continuity criteria, so tiers are recomputed
once at the end (accounts.services.tiering_recompute). Deal counts and sizes follow the
accounts' planned cohort (accounts.demo: strategic accounts score 50–60 without won revenue):
strategic accounts get the most and the largest deals and, with a few wins, reach tier A; key
accounts stay mostly B. With the default seed about 11 % of the accounts end in tier A, and the
won revenue per quarter is close to the demo teams' targets (above in some, below in others).
"""

import datetime
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.choices import AccountStatus, AccountTeamRole, Attitude, Influence, PurchaseRole, Tier
from accounts.demo import COHORT_SCORES, TERRITORIES
from accounts.models import Account, AccountTeamMember, Contact, TieringPolicy
from accounts.selectors import tiering_facts_for
from accounts.services import accounts_won, tiering_recompute
from accounts.tiering import compute_tiering
from salesops.choices import Role
from salesops.models import Team, User

from .choices import (
    ActivityKind,
    EvidenceType,
    ForecastCategory,
    GateKind,
    GateStatus,
    LostReason,
    OpportunityStatus,
    Qualification,
    Source,
    StageChangeKind,
    ThreatLevel,
    TrackedField,
)
from .models import (
    Activity,
    Competitor,
    DeliveryHandover,
    Gate,
    GateRule,
    Milestone,
    MilestoneCheck,
    MilestoneEvent,
    Opportunity,
    OpportunityChange,
    OpportunityContact,
    SalesProcess,
    Stage,
    StageChange,
)

DEFAULT_OPPORTUNITY_COUNT = 3200
HISTORY_DAYS = 548  # 18 months
GROWTH = 1.3  # days ago = HISTORY_DAYS · u^GROWTH: recent months have more new deals
STANDARD_SHARE = 0.10  # deals on the short "standard" process
CHUNK = 400  # deals simulated and written together
BATCH = 1000  # rows per INSERT
VALIDATE_EVERY = 250  # full_clean() on one row in 250 of every kind (and each chunk's first)
LOST = OpportunityStatus.LOST
ABANDONED = OpportunityStatus.ABANDONED

# How many deals an account gets and how large they are, by its planned cohort.
COHORT_DEAL_WEIGHT = {"strategic": 3.5, "key": 2.0, "potential": 1.0}
STATUS_DEAL_WEIGHT = {
    AccountStatus.CUSTOMER: 1.2,
    AccountStatus.PROSPECT: 0.8,
    AccountStatus.DORMANT: 0.35,
}
COHORT_MEDIAN_AMOUNT = {"strategic": 800_000, "key": 320_000, "potential": 200_000}
SIZE_AMOUNT_FACTOR = {"small": 0.5, "medium": 0.8, "large": 1.0, "enterprise": 1.3, "": 0.8}
AMOUNT_SIGMA = 0.75
BIG_DEAL_SHARE = {"strategic": 0.015, "key": 0.005, "potential": 0.0}  # 5–20M deals
STANDARD_MEDIAN_AMOUNT = 120_000

# Per process and stage: median dwell in days and the chance that a deal dies there.
DWELL_MEDIAN_DAYS = {
    "solution": {
        "qualify": 12,
        "contact": 18,
        "design": 28,
        "prove": 21,
        "confirm": 16,
        "evaluate": 30,
        "negotiate": 20,
    },
    "standard": {"qualify": 6, "propose": 10, "negotiate": 9},
}
DWELL_SIGMA = 0.55
DEATH_CHANCE = {
    "solution": {
        "qualify": 0.22,
        "contact": 0.20,
        "design": 0.18,
        "prove": 0.15,
        "confirm": 0.14,
        "evaluate": 0.22,
        "negotiate": 0.12,
    },
    "standard": {"qualify": 0.15, "propose": 0.30, "negotiate": 0.12},
}
# The typical cycle a rep has in mind when setting the first close date (days).
TYPICAL_CYCLE_DAYS = {"solution": 150, "standard": 35}
SKIP_CHANCE = 0.05  # per forward move that could skip (solution process)
UNAUTHORISED_SKIP_SHARE = 0.12  # skips recorded without a manager's override
BACK_CHANCE = 0.04  # per move from prove onwards, at most once per deal
LATE_ENTRY_SHARE = 0.08  # the customer was two or three stages ahead when we came in
OVER_REPORTING_SHARE = 0.25  # the rep's stage runs ahead of the customer's
PROBABILITY_OVERRIDE_SHARE = 0.04  # of open deals from `confirm` on
AMOUNT_DROP_SHARE = 0.08  # amount cut by 30–55 % at some point
AMOUNT_ADJUST_SHARE = 0.20  # a smaller correction earlier on
QUIET_SHARE = 0.18  # open deals with no activity for 15–45 days
PAST_DUE_SHARE = 0.07  # open deals the rep stopped pushing: past their close date
SINGLE_THREAD_SHARE = 0.12  # of deals past `design`
GATE_REJECTED_FIRST = 0.10  # approved gates that were rejected once before
GATE_PENDING_SHARE = 0.40  # open deals in a gate's stage with a request waiting
GATE_DEATH_SHARE = 0.30  # deaths in a gated stage that come from a rejected gate
COMPETITOR_SHARE = {"solution": 0.55, "standard": 0.15}

# (status, reason, weight) of deaths per stage code.
DEATHS = {
    "qualify": [
        (ABANDONED, LostReason.QUALIFIED_OUT, 4),
        (LOST, LostReason.NO_BUDGET, 3),
        (ABANDONED, LostReason.TIMING, 2),
        (LOST, LostReason.PRODUCT_FIT, 1),
    ],
    "contact": [
        (LOST, LostReason.NO_BUDGET, 4),
        (ABANDONED, LostReason.NO_DECISION, 2),
        (ABANDONED, LostReason.TIMING, 2),
        (LOST, LostReason.RELATIONSHIP, 1),
        (LOST, LostReason.PRODUCT_FIT, 1),
    ],
    "design": [
        (LOST, LostReason.PRODUCT_FIT, 3),
        (LOST, LostReason.NO_BUDGET, 2),
        (ABANDONED, LostReason.NO_DECISION, 2),
        (LOST, LostReason.COMPETITOR, 2),
    ],
    "prove": [
        (LOST, LostReason.COMPETITOR, 4),
        (LOST, LostReason.PRODUCT_FIT, 2),
        (LOST, LostReason.RELATIONSHIP, 1),
        (ABANDONED, LostReason.NO_DECISION, 1),
    ],
    "confirm": [
        (LOST, LostReason.COMPETITOR, 4),
        (LOST, LostReason.PRICE, 2),
        (ABANDONED, LostReason.NO_DECISION, 2),
        (LOST, LostReason.RELATIONSHIP, 1),
    ],
    "evaluate": [
        (LOST, LostReason.COMPETITOR, 5),
        (LOST, LostReason.PRICE, 4),
        (LOST, LostReason.RELATIONSHIP, 1),
    ],
    "negotiate": [
        (LOST, LostReason.PRICE, 5),
        (LOST, LostReason.COMPETITOR, 2),
        (ABANDONED, LostReason.NO_DECISION, 2),
        (ABANDONED, LostReason.TIMING, 1),
    ],
    "propose": [
        (LOST, LostReason.PRICE, 5),
        (LOST, LostReason.COMPETITOR, 3),
        (ABANDONED, LostReason.NO_DECISION, 1),
    ],
}
LOST_NOTES = {
    LostReason.QUALIFIED_OUT: [
        "需求与我方产品匹配度低，主动放弃。",
        "客户只想做市场调研，短期内无采购计划。",
        "Small scope and no sponsor: not worth the presales effort.",
    ],
    LostReason.NO_BUDGET: [
        "客户今年预算被砍，项目无限期推迟。",
        "预算未获集团批准。",
        "The budget went to a compliance project instead.",
    ],
    LostReason.TIMING: [
        "客户组织架构调整，项目推迟到明年再议。",
        "新系统上线冲突，客户要求半年后再启动。",
    ],
    LostReason.PRODUCT_FIT: [
        "客户要求大量定制开发，我方产品无法满足。",
        "必须支持客户指定的国产数据库，我方暂不支持。",
        "Their integration requirements are beyond our roadmap.",
    ],
    LostReason.NO_DECISION: [
        "客户项目负责人离职，项目搁置。",
        "客户内部意见不统一，项目暂停。",
        "The project was frozen after a change of leadership.",
    ],
    LostReason.RELATIONSHIP: [
        "关键决策人与竞品关系密切，我方未能突破。",
        "我方前期服务问题影响了客户信任。",
    ],
    LostReason.COMPETITOR: [
        "竞品方案覆盖面更广，技术评分落后。",
        "竞品有同行业标杆案例，客户最终选择了对方。",
        "Lost on the technical score; the competitor had a local reference.",
    ],
    LostReason.PRICE: [
        "竞品报价低20%，我方无法跟进。",
        "客户最终以最低价中标原则选择了其他供应商。",
        "Their procurement insisted on a discount below our margin floor.",
    ],
}
# A death that comes from a rejected gate: (status, reason, decision note, lost note).
GATE_DEATHS = {
    GateKind.ATI: (
        ABANDONED,
        LostReason.QUALIFIED_OUT,
        "痛点不清晰，赢率和投入不成比例，暂不立项。",
        "ATI 未通过，转为线索保持跟进。",
    ),
    GateKind.ATB: (
        ABANDONED,
        LostReason.QUALIFIED_OUT,
        "评分标准明显偏向竞品，决定不投标。",
        "ATB 未通过，放弃投标。",
    ),
    GateKind.ATC: (
        LOST,
        LostReason.PRICE,
        "客户要求的价格和付款条件超出公司政策，不予批准。",
        "ATC 未通过，未能与客户就价格达成一致。",
    ),
}

# Projects by industry (solution deals); the generic list serves the others.
PROJECTS = {
    "manufacturing": [
        "MES 升级",
        "数据中台",
        "设备预测性维护平台",
        "ERP 集成实施",
        "智能仓储 WMS",
        "质量追溯系统",
        "工业互联网平台",
        "供应链协同平台",
    ],
    "banking": [
        "核心银行数据平台",
        "信创云平台",
        "零售客户画像与精准营销",
        "灾备中心存储扩容",
        "监管报送系统",
        "智能风控平台",
        "分布式数据库迁移",
        "网点智能终端",
    ],
    "insurance": [
        "智能理赔平台",
        "新核心系统数据迁移",
        "全渠道智能客服中心",
        "信创私有云",
        "代理人展业平台",
        "数据安全治理",
    ],
    "energy": [
        "场站集控平台",
        "电力交易数据分析平台",
        "工控网络安全加固",
        "集团私有云扩容",
        "设备巡检物联网",
        "能耗管理平台",
    ],
    "technology": [
        "研发测试云扩容",
        "数据分类分级与脱敏",
        "统一客户数据平台",
        "7×24 运维托管服务",
        "DevOps 平台",
        "容器云平台",
    ],
    "government": [
        "一网通办二期",
        "政务数据共享交换平台",
        "业务系统上云迁移",
        "等保三级安全整改",
        "城市运行管理平台",
        "智慧审批系统",
    ],
    "healthcare": [
        "电子病历系统升级",
        "互联网医院平台",
        "临床科研数据平台",
        "DRG 智能审核系统",
        "医院数据中心建设",
        "智慧药房",
    ],
    "retail": [
        "全渠道会员中台",
        "智慧门店 IoT 改造",
        "智能补货与需求预测",
        "大促弹性云资源",
        "电商订单中台",
    ],
    "education": [
        "智慧校园统一平台",
        "校园网与无线网络升级",
        "教学质量数据分析平台",
        "校园网络安全运营服务",
        "教务系统升级",
    ],
    "logistics": [
        "WMS 升级",
        "车辆在途监控平台",
        "供应链数据中台",
        "码头作业系统信创迁移",
        "运输管理系统 TMS",
    ],
    "telecom": [
        "5G 专网边缘计算平台",
        "BSS 计费系统云化改造",
        "AIOps 智能运维平台",
        "用户数据安全治理",
        "网络资源管理系统",
    ],
    "real_estate": [
        "智慧工地监管平台",
        "财务共享中心系统集成",
        "BIM 协同与图纸管理",
        "社区物业服务平台",
        "集团数据中台",
    ],
    "media": ["融媒体生产平台", "媒资库存储扩容", "用户行为分析平台", "数字版权监测服务"],
}
GENERIC_PROJECTS = [
    "企业数据平台",
    "协同办公平台",
    "服务器与存储更新",
    "网络安全整改",
    "IT 运维外包",
]
STANDARD_PRODUCTS = [
    "服务器采购",
    "存储扩容采购",
    "软件许可续订",
    "防火墙采购",
    "网络交换机更新",
    "备份一体机采购",
    "终端安全软件续订",
    "数据库许可采购",
]
# Later deals on the same project are its next phases.
PHASES = ["", "二期", "三期", "扩容", "四期", "运维服务", "五期", "升级", "六期", "续约"]
DESCRIPTIONS = [
    "客户计划在年内完成{project}，由信息中心牵头，业务部门参与评估。",
    "{project}：客户希望解决现有系统性能不足和数据孤岛问题。",
    "{project}，预计分两批交付，首批覆盖总部。",
    "Customer wants to replace an ageing system; scope: {project}.",
]
SOURCE_WEIGHTS = {
    Source.EXISTING_CUSTOMER: 3,
    Source.REFERRAL: 1,
    Source.PARTNER: 2,
    Source.MARKETING: 1,
    Source.TENDER: 1,
    Source.OUTBOUND: 2,
    Source.OTHER: 0.3,
}

# The close date a rep pushes, and why.
PUSH_REASONS = [
    "客户内部审批流程延长。",
    "客户预算审批推迟到下季度。",
    "招标时间推迟。",
    "客户关键人出差，评审会延期。",
    "Customer's board meeting moved to next month.",
    "客户要求补充POC测试。",
]
DROP_REASONS = [
    "客户预算削减，范围缩小至一期。",
    "客户砍掉了二期模块，只保留核心功能。",
    "竞争压力下大幅让价。",
    "Scope cut to the head office only.",
]
ADJUST_REASONS = [
    "方案细化后重新估算。",
    "按客户最新需求清单调整报价。",
    "Re-estimated after the design workshop.",
]
PROBABILITY_OVERRIDES = [
    "客户高层变动，赢率下调，待新领导表态。",
    "竞品低价介入，经理评估后下调赢率。",
    "客户已口头确认选择我方，上调赢率。",
]
SKIP_OVERRIDES = [
    "客户已完成内部立项，方案设计与业绩展示合并进行。",
    "老客户续约项目，直接进入方案确认。",
    "客户指定我方为单一来源采购，跳过比选环节。",
    "Existing platform extension: the customer skips the reference visit.",
]
BACK_OVERRIDES = {
    "design": "客户需求变更，重新做方案设计。",
    "prove": "客户新增POC要求，退回业绩展示阶段。",
    "confirm": "客户重新招标，回到方案确认。",
    "evaluate": "谈判破裂后客户重新评估供应商。",
    "contact": "客户更换项目负责人，需重新建立联系。",
    "qualify": "客户重新评估需求。",
}
MOVE_NOTES = {
    "contact": ["已立项，开始接触业务部门。", "ATI 通过，组建客户小组。"],
    "design": ["需求调研完成，进入方案设计。", "预算已确认，客户成立项目组。"],
    "prove": ["方案已汇报，安排标杆客户参观。", "客户认可方案方向，准备POC。"],
    "confirm": ["POC 通过，等待客户书面确认方案。", "客户明确评估标准，我方入围。"],
    "evaluate": ["投标文件已提交。", "客户进入供应商评估。"],
    "negotiate": ["收到中标通知，进入合同谈判。", "客户确认我方为首选供应商。"],
    "won": ["合同已签署。", "双方完成签约，转交付。"],
    "propose": ["需求确认，发出报价。"],
}
HANDOVER_NOTES = [
    "交付范围与验收标准见合同附件，客户项目经理已确认启动时间。",
    "客户重视上线时间，首批交付需在季度末前完成。",
    "Scope as in the contract annex; the customer's PM wants a kickoff within two weeks.",
]
GATE_REQUEST_NOTES = {
    GateKind.ATI: "客户痛点明确，经济决策人已识别，申请立项投入。",
    GateKind.ATB: "评估标准已掌握，支持者明确，申请投标。",
    GateKind.ATC: "价格与付款条件已与客户初步确认，申请合同审批。",
}
GATE_APPROVAL_NOTES = [
    "同意。",
    "同意，注意控制售前投入。",
    "Approved: strong fit and a clear sponsor.",
]
GATE_CONDITIONS = [
    "毛利不低于25%，付款节点需财务确认。",
    "POC 投入不超过10人天。",
    "合同须包含验收标准条款。",
]
GATE_REJECTION_NOTES = ["信息不充分，补充决策链后重新申请。", "毛利低于底线，重新报价后再审。"]

COMPETITORS = {
    "华为云": "产品线完整，政企客户关系深厚。",
    "阿里云": "云服务生态成熟，价格有竞争力。",
    "SAP": "ERP 领域品牌强，集团客户认可度高。",
    "用友": "本地化服务好，财务模块占有率高。",
    "金蝶": "中型企业客户多，实施周期短。",
    "Oracle": "数据库与核心系统积累深厚。",
    "浪潮": "信创适配完整，国资背景客户青睐。",
    "腾讯云": "互联网渠道与生态资源丰富。",
    "东软": "医疗和政府行业案例多。",
}

# Facts (MEDDPICC) a rep has learnt by the time a deal leaves a stage.
FACTS_LEARNT = {
    "solution": {
        "qualify": [Qualification.IDENTIFIED_PAIN, Qualification.ECONOMIC_BUYER],
        "contact": [Qualification.METRICS],
        "design": [],
        "prove": [Qualification.DECISION_CRITERIA, Qualification.CHAMPION],
        "confirm": [Qualification.DECISION_PROCESS],
        "evaluate": [Qualification.COMPETITION],
        "negotiate": [Qualification.PAPER_PROCESS],
    },
    "standard": {
        "qualify": [Qualification.IDENTIFIED_PAIN, Qualification.ECONOMIC_BUYER],
        "propose": [Qualification.DECISION_CRITERIA],
        "negotiate": [Qualification.PAPER_PROCESS],
    },
}
FACT_NOTES = {
    Qualification.METRICS: "目标：处理时效提升30%，年节省运维成本约200万元。",
    Qualification.ECONOMIC_BUYER: "预算由分管副总审批，总经理办公会最终确认。",
    Qualification.DECISION_CRITERIA: "技术分60%、商务分40%，重视国产化适配与本地服务。",
    Qualification.DECISION_PROCESS: "项目组评估→信息中心汇报→总经理办公会决策→公开招标。",
    Qualification.PAPER_PROCESS: "合同经法务、财务会签，盖章约需两周。",
    Qualification.IDENTIFIED_PAIN: "现有系统性能瓶颈，业务高峰期经常宕机。",
    Qualification.CHAMPION: "信息中心主任认可我方方案，愿意在内部推动。",
    Qualification.COMPETITION: "主要竞争对手已参与前期交流。",
}
# Evidence notes of the milestones, by milestone code.
EVIDENCE_NOTES = {
    "pain_identified": "客户信息中心主任在拜访中说明：现有系统高峰期响应慢，投诉增多。",
    "economic_buyer_known": "预算由分管副总审批。",
    "fit_and_size_assessed": "需求与我方产品匹配，金额与签约时间已在商机中估算。",
    "budget_status_known": "年度预算已列支，资金来源为信息化专项。",
    "decision_chain_mapped": "已识别信息中心主任与采购部经理的角色和态度。",
    "needs_discussed": "与业务负责人完成需求调研访谈。",
    "timeline_known": "客户计划下季度立项，年底前上线。",
    "customer_team_formed": "客户已发文成立项目小组。",
    "solution_presented": "已向客户项目组汇报方案。",
    "pains_addressed": "客户书面反馈方案覆盖主要痛点。",
    "budgetary_price_shared": "已提供预算报价。",
    "reference_presented": "组织客户参观同行业标杆客户。",
    "criteria_known": "评估标准已获取，技术分项体现我方优势。",
    "champion_identified": "信息中心主任愿意在内部推动我方方案。",
    "poc_accepted": "POC 测试报告已由客户签字确认。",
    "solution_confirmed_in_writing": "客户方案确认函已归档。",
    "tender_process_known": "公开招标，预计下月挂网。",
    "bid_decision_approved": "投标决策已批准。",
    "shortlisted": "我方已入围短名单。",
    "bid_submitted": "投标文件已按时递交，回执已归档。",
    "preferred_vendor": "客户项目组口头确认我方为首选。",
    "competition_assessed": "已评估主要竞品的报价与技术方案。",
    "award_received": "中标通知书已归档。",
    "terms_approved": "价格与付款条款已获审批。",
    "contract_signed": "双方已签署合同，扫描件已归档。",
    "need_and_budget_confirmed": "产品、数量、交货期与预算已确认。",
    "quote_sent": "报价单已发送客户，编号见附件。",
    "quote_discussed": "已与采购人员电话沟通报价。",
    "discount_approved": "折扣已获销售经理批准。",
}
# Milestones that record a gate's decision: checked after the gate is approved.
GATE_MILESTONES = {"bid_decision_approved": GateKind.ATB, "terms_approved": GateKind.ATC}

# Activities per stage code: (kind, subject, outcome, next step).
ACTIVITIES = {
    "qualify": [
        (ActivityKind.CALL, "电话了解需求背景", "客户确认有改造计划。", "约见信息中心主任"),
        (ActivityKind.VISIT, "初次拜访信息中心", "了解现有系统和痛点。", "整理需求要点"),
        (ActivityKind.EMAIL, "发送公司与产品介绍", "客户已收到资料。", "电话跟进反馈"),
    ],
    "contact": [
        (
            ActivityKind.VISIT,
            "拜访业务负责人，需求调研",
            "梳理了主要需求和优先级。",
            "提交调研纪要",
        ),
        (ActivityKind.MEETING, "需求研讨会", "客户确认预算区间。", "绘制决策链"),
        (ActivityKind.CALL, "与采购部沟通采购方式", "了解采购流程。", "确认项目时间表"),
    ],
    "design": [
        (ActivityKind.MEETING, "方案设计工作坊", "与客户项目组对齐需求。", "完善方案初稿"),
        (ActivityKind.SITE_VISIT, "现场勘察", "完成机房与网络现状调研。", "输出勘察报告"),
        (ActivityKind.PROPOSAL, "提交方案建议书", "客户将内部评审。", "预约方案汇报"),
        (ActivityKind.MEETING, "方案汇报", "客户项目组认可方案方向。", "准备标杆客户参观"),
    ],
    "prove": [
        (ActivityKind.DEMO, "产品演示", "客户对核心功能反馈积极。", "准备POC环境"),
        (ActivityKind.SITE_VISIT, "标杆客户参观", "客户高层参加，评价良好。", "跟进参观反馈"),
        (ActivityKind.MEETING, "POC 启动会", "确定测试用例与验收标准。", "完成POC测试"),
    ],
    "confirm": [
        (ActivityKind.MEETING, "方案确认会", "客户原则同意方案。", "取得书面确认"),
        (ActivityKind.PROPOSAL, "提交最终方案与报价", "客户进入内部审批。", "了解招标时间表"),
        (ActivityKind.CALL, "与采购部确认招标方式", "确认为公开招标。", "准备投标资料"),
    ],
    "evaluate": [
        (ActivityKind.PROPOSAL, "递交投标文件", "按时递交。", "准备述标"),
        (ActivityKind.MEETING, "述标答疑", "评委关注交付周期。", "补充交付计划"),
        (ActivityKind.CALL, "了解评标进展", "我方技术分领先。", "跟进评标结果"),
    ],
    "negotiate": [
        (ActivityKind.MEETING, "商务谈判", "客户要求再降5%。", "内部申请价格审批"),
        (ActivityKind.EMAIL, "发送合同草案", "客户法务审核中。", "跟进合同修改意见"),
        (ActivityKind.CALL, "沟通付款条件", "双方同意三笔付款。", "安排签约"),
    ],
    "propose": [
        (ActivityKind.EMAIL, "发送报价单", "客户已收到报价。", "电话跟进报价"),
        (ActivityKind.CALL, "与采购沟通报价", "客户在比价。", "确认最终数量"),
    ],
}
# Days between activities: denser where the work is (design, proof, evaluation, negotiation).
ACTIVITY_GAP_DAYS = {
    "qualify": 11,
    "contact": 9,
    "design": 8,
    "prove": 7,
    "confirm": 9,
    "evaluate": 8,
    "negotiate": 6,
    "propose": 5,
}
MAX_ACTIVITIES_PER_STAGE = 5

# Purchase roles from job titles: (keywords, [(role, weight)], influence).
TITLE_ROLES = [
    (
        ("董事长", "党委书记"),
        [(PurchaseRole.ECONOMIC_BUYER, 1)],
        Influence.HIGH,
    ),
    (
        ("总经理办公室", "行长室", "总裁办公室", "局长办公室", "院长办公室", "校长办公室"),
        [(PurchaseRole.DECISION_MAKER, 3), (PurchaseRole.ECONOMIC_BUYER, 1)],
        Influence.HIGH,
    ),
    (
        ("CIO", "信息中心主任", "金融科技部总经理"),
        [(PurchaseRole.DECISION_MAKER, 2), (PurchaseRole.TECHNICAL_EVALUATOR, 1)],
        Influence.HIGH,
    ),
    (("财务",), [(PurchaseRole.ECONOMIC_BUYER, 1), (PurchaseRole.INFLUENCER, 2)], Influence.MID),
    (("采购",), [(PurchaseRole.PROCUREMENT, 4), (PurchaseRole.GATEKEEPER, 1)], Influence.MID),
    (
        ("信息", "金融科技", "数据中心", "网络", "安全", "应用", "系统"),
        [
            (PurchaseRole.TECHNICAL_EVALUATOR, 4),
            (PurchaseRole.COACH, 1),
            (PurchaseRole.USER, 1),
        ],
        Influence.MID,
    ),
]
DEFAULT_ROLES = ([(PurchaseRole.USER, 3), (PurchaseRole.INFLUENCER, 2)], Influence.MID)
ATTITUDE_WEIGHTS = {
    Attitude.CHAMPION: 1,
    Attitude.SUPPORTER: 3.5,
    Attitude.NEUTRAL: 4,
    Attitude.OPPONENT: 0.7,
    Attitude.BACKS_COMPETITOR: 0.8,
}
RELATIONSHIP = {
    Attitude.CHAMPION: (3, 4),
    Attitude.SUPPORTER: (2, 3),
    Attitude.NEUTRAL: (1, 2),
    Attitude.OPPONENT: (0, 1),
    Attitude.BACKS_COMPETITOR: (0, 1),
}
FRIENDLY = {Attitude.CHAMPION, Attitude.SUPPORTER}


# Reference data ----------------------------------------------------------------------------


@dataclass
class ProcessData:
    process: SalesProcess
    stages: list[Stage]  # by order; the last one wins the deal
    required: dict[int, list[Milestone]]  # stage pk -> required milestones
    optional: dict[int, list[Milestone]]
    gates: dict[int, GateRule]  # leaving stage pk -> active rule
    codes: dict[int, str]  # milestone pk -> code


@dataclass
class Context:
    today: datetime.date
    processes: dict[str, ProcessData]
    reps: dict[int, list[User]]  # team pk -> active reps
    managers: dict[int, User]  # team pk -> manager
    engineers: list[User]
    delivery_owners: dict[int, User]  # account pk -> delivery owner of its account team
    contacts: dict[int, list[Contact]]  # account pk -> active contacts
    currency: str


@dataclass
class DealPlan:
    """One deal as the random generator plans it, before the simulation."""

    account: Account
    cohort: str
    name: str
    process_code: str
    project: str
    days_ago: int
    seed: str


@dataclass
class Visit:
    """A stay in one stage: entered, left (None: still there) and how it was left."""

    index: int
    entered: datetime.datetime
    left: datetime.datetime | None = None
    how: str = ""  # a StageChangeKind, or "" while open
    skip_authorised: bool = True


@dataclass
class Deal:
    """Everything one deal writes. The rows below the opportunity get its id once it is saved
    (attach_children)."""

    opportunity: Opportunity
    stage_changes: list[StageChange] = field(default_factory=list)
    changes: list[OpportunityChange] = field(default_factory=list)
    activities: list[tuple[Activity, list[Contact], datetime.datetime]] = field(
        default_factory=list
    )
    checks: list[MilestoneCheck] = field(default_factory=list)
    events: list[MilestoneEvent] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)
    chain: list[OpportunityContact] = field(default_factory=list)
    competitors: list[Competitor] = field(default_factory=list)
    handover: tuple[DeliveryHandover, datetime.datetime] | None = None

    def attach_children(self) -> None:
        """Point every row of the deal at the saved opportunity."""
        pk = self.opportunity.pk
        for rows in (
            [activity for activity, _people, _logged in self.activities],
            self.stage_changes,
            self.changes,
            self.checks,
            self.events,
            self.gates,
            self.chain,
            self.competitors,
            [self.handover[0]] if self.handover else [],
        ):
            for row in rows:
                row.opportunity_id = pk


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _context(today: datetime.date) -> Context:
    processes = {}
    for process in SalesProcess.objects.filter(code__in=DWELL_MEDIAN_DAYS, is_active=True):
        stages = list(process.stages.order_by("order"))
        required, optional, codes = defaultdict(list), defaultdict(list), {}
        for milestone in Milestone.objects.filter(stage__process=process).order_by(
            "stage__order", "order", "pk"
        ):
            (required if milestone.is_required else optional)[milestone.stage_id].append(milestone)
            codes[milestone.pk] = milestone.code
        gates = {
            rule.leaving_stage_id: rule
            for rule in GateRule.objects.filter(process=process, is_active=True)
        }
        processes[process.code] = ProcessData(process, stages, required, optional, gates, codes)
    if "solution" not in processes:
        raise RuntimeError("The default sales process is missing: run the migrations first.")
    teams = list(Team.objects.filter(name__in=TERRITORIES).select_related("manager"))
    reps: dict[int, list[User]] = defaultdict(list)
    for rep in User.objects.filter(role=Role.REP, is_active=True, team__in=teams).order_by(
        "username"
    ):
        reps[rep.team_id].append(rep)
    managers = {team.pk: team.manager for team in teams if team.manager is not None}
    if len(managers) < len(teams) or not reps:
        raise RuntimeError("Seed the organisation first: sales teams with managers and reps.")
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(account__owner_team__in=teams, is_active=True).order_by(
        "account_id", "pk"
    ):
        contacts[contact.account_id].append(contact)
    delivery_owners = {
        member.account_id: member.user
        for member in AccountTeamMember.objects.filter(
            role=AccountTeamRole.DELIVERY_OWNER
        ).select_related("user")
    }
    engineers = list(
        User.objects.filter(role=Role.PRESALES_ENGINEER, is_active=True).order_by("username")
    )
    return Context(
        today=today,
        processes=processes,
        reps=reps,
        managers=managers,
        engineers=engineers,
        delivery_owners=delivery_owners,
        contacts=contacts,
        currency=settings.SALESOPS_CURRENCY,
    )


def _cohorts(accounts: list[Account]) -> dict[int, str]:
    """The cohort accounts.demo planned each account in, from what does not change when deals
    are won: the score without contribution and continuity (or the manager's override)."""
    policy = TieringPolicy.current()
    facts = tiering_facts_for([account.pk for account in accounts])
    strategic, key = COHORT_SCORES["strategic"][0], COHORT_SCORES["key"][0]
    cohorts = {}
    for account in accounts:
        if account.tier_override:
            cohorts[account.pk] = {Tier.A: "strategic", Tier.B: "key"}.get(
                account.tier_override, "potential"
            )
            continue
        static = replace(facts[account.pk], won_revenue=Decimal(0), buying_years=0)
        score = compute_tiering(policy, static).score
        cohorts[account.pk] = (
            "strategic" if score >= strategic else "key" if score >= key else "potential"
        )
    return cohorts


# Planning ----------------------------------------------------------------------------------


def plan_deals(*, rng: random.Random, count: int, accounts: list[Account]) -> list[DealPlan]:
    """Allot `count` deals to the accounts, date them (days before today) and name them. Uses
    the generator alone, so the same seed and accounts always give the same plans."""
    token = rng.getrandbits(64)
    accounts = sorted(
        (account for account in accounts if account.status in STATUS_DEAL_WEIGHT),
        key=lambda account: account.name,
    )
    if not accounts or count <= 0:
        return []
    cohorts = _cohorts(accounts)
    weights = [
        COHORT_DEAL_WEIGHT[cohorts[account.pk]] * STATUS_DEAL_WEIGHT[account.status]
        for account in accounts
    ]
    allotted = Counter(rng.choices(range(len(accounts)), weights=weights, k=count))
    plans = []
    for position, account in enumerate(accounts):
        number = allotted.get(position, 0)
        if not number:
            continue
        account_rng = random.Random(f"{token}:{account.name}")
        # Dormant accounts bought in the past; the others all along.
        newest = 240 if account.status == AccountStatus.DORMANT else 1
        # A growing business: more deals lately than a year ago.
        days_ago = sorted(
            (
                newest + round((HISTORY_DAYS - newest) * account_rng.random() ** GROWTH)
                for _ in range(number)
            ),
            reverse=True,
        )
        projects = list(PROJECTS.get(account.industry, GENERIC_PROJECTS))
        account_rng.shuffle(projects)
        products = list(STANDARD_PRODUCTS)
        account_rng.shuffle(products)
        used: Counter = Counter()
        for index, days in enumerate(days_ago):
            if account_rng.random() < STANDARD_SHARE:
                process_code = "standard"
                project = products[account_rng.randrange(min(3, len(products)))]
            else:
                process_code = "solution"
                # Accounts come back to their first projects: a few projects, many phases.
                project = projects[min(int(account_rng.expovariate(0.6)), len(projects) - 1)]
            phase = used[project]
            used[project] += 1
            suffix = PHASES[phase] if phase < len(PHASES) else f"（{phase + 1}）"
            plans.append(
                DealPlan(
                    account=account,
                    cohort=cohorts[account.pk],
                    name=f"{project}{suffix}",
                    process_code=process_code,
                    project=project,
                    days_ago=days,
                    seed=f"{token}:{account.name}:{index}",
                )
            )
    return plans


# Simulation --------------------------------------------------------------------------------


def _between(start, end, rng: random.Random, low: float, high: float) -> datetime.datetime:
    return start + (end - start) * rng.uniform(low, high)


def _days(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    return (Decimal(str((end - start).total_seconds())) / Decimal(86400)).quantize(Decimal("0.01"))


def _money(value: float, step: int = -4) -> Decimal:
    return Decimal(max(10_000, round(value, step))).quantize(Decimal("0.01"))


def _lognormal_days(rng: random.Random, median: float) -> int:
    return max(1, round(rng.lognormvariate(math.log(median), DWELL_SIGMA)))


class Simulation:
    """One deal, from creation to today."""

    def __init__(self, plan: DealPlan, context: Context):
        self.plan = plan
        self.context = context
        self.rng = random.Random(plan.seed)
        self.data = context.processes[plan.process_code]
        self.stages = self.data.stages
        self.today = context.today
        self.zone = timezone.get_current_timezone()
        self.horizon = datetime.datetime.combine(self.today, datetime.time(), tzinfo=self.zone)
        self.now = timezone.now()
        self.requested_gates: list[GateRule] = []  # the facts they need are known

    def _at(self, day: datetime.date) -> datetime.datetime:
        """A moment in the working hours of `day`."""
        moment = datetime.time(self.rng.randint(9, 18), self.rng.randrange(0, 60, 5))
        return datetime.datetime.combine(day, moment, tzinfo=self.zone)

    # The walk through the stages ---------------------------------------------------------

    def walk(self, created: datetime.datetime, speed: float) -> tuple[list[Visit], tuple | None]:
        """The stays in each stage; the second value is the death (status, reason, gate kind)
        when the deal died."""
        rng, code = self.rng, self.plan.process_code
        visits = [Visit(0, created)]
        moved_back = False
        while True:
            visit = visits[-1]
            stage = self.stages[visit.index]
            if stage.is_won:
                return visits, None
            dwell = _lognormal_days(rng, DWELL_MEDIAN_DAYS[code][stage.code] * speed)
            returning = any(other.index == visit.index for other in visits[:-1])
            dies = not returning and rng.random() < DEATH_CHANCE[code][stage.code]
            if dies:
                dwell = max(1, round(dwell * rng.uniform(0.4, 1.2)))
            elif returning:
                dwell = max(1, dwell // 2)
            leave_on = visit.entered.date() + datetime.timedelta(days=dwell)
            if leave_on >= self.today:
                return visits, None
            visit.left = self._at(leave_on)  # a later day than entered: always after it
            if dies:
                visit.how = "death"
                return visits, self._death(stage)
            target, visit.how = visit.index + 1, StageChangeKind.ADVANCE
            if self.stages[target].is_won:
                visit.how = StageChangeKind.WON
            elif not moved_back and visit.index >= 3 and rng.random() < BACK_CHANCE:
                target, visit.how, moved_back = visit.index - 1, StageChangeKind.BACK, True
            elif (
                code == "solution"
                and visit.index >= 1
                and not self.stages[target + 1].is_won
                and rng.random() < SKIP_CHANCE
            ):
                target, visit.how = visit.index + 2, StageChangeKind.SKIP
                visit.skip_authorised = rng.random() >= UNAUTHORISED_SKIP_SHARE
            visits.append(Visit(target, visit.left))

    def _death(self, stage: Stage) -> tuple:
        rows = DEATHS[stage.code]
        status, reason, _weight = self.rng.choices(rows, weights=[row[2] for row in rows])[0]
        gate_kind = None
        rule = self.data.gates.get(stage.pk)
        if (
            rule is not None
            and (rule.min_amount is None or self.final_amount >= rule.min_amount)
            and (not rule.tiers or self.plan.account.tier in rule.tiers)
            and self.rng.random() < GATE_DEATH_SHARE
        ):
            gate_kind = rule.kind
            status, reason, _decision, _note = GATE_DEATHS[rule.kind]
        return status, reason, gate_kind

    # Everything else ------------------------------------------------------------------

    def run(self) -> Deal:
        plan, rng, context = self.plan, self.rng, self.context
        account = plan.account
        team_reps = context.reps.get(account.owner_team_id) or next(iter(context.reps.values()))
        owner = account.owner if account.owner in team_reps else None
        if owner is None or rng.random() < 0.3:
            owner = rng.choice(team_reps)
        self.owner, self.manager = owner, context.managers[owner.team_id]
        created_on = self.today - datetime.timedelta(days=plan.days_ago)
        created = self._at(created_on)
        final_amount = self.final_amount = self._amount()
        speed = rng.lognormvariate(0, 0.25) * (float(final_amount) / 1_000_000) ** 0.08
        visits, death = self.walk(created, speed)
        last = visits[-1]
        status = OpportunityStatus.OPEN
        if self.stages[last.index].is_won:
            status = OpportunityStatus.WON
        elif death:
            status = death[0]
        closed_at = last.left if death else (last.entered if status == "won" else None)
        end = closed_at or self.horizon

        amounts = self._amount_history(created, end, final_amount)
        opportunity = Opportunity(
            account=account,
            name=plan.name,
            owner=owner,
            team_id=owner.team_id,
            process=self.data.process,
            stage=self.stages[last.index],
            customer_stage=self.stages[last.index],
            status=status,
            amount=final_amount,
            currency=context.currency,
            expected_margin_pct=self._margin(),
            forecast_category=ForecastCategory.PIPELINE,
            source=self._source(),
            description=rng.choice(DESCRIPTIONS).format(project=plan.project),
            probability=0,
            created_by=owner,
            created_at=created,
            stage_entered_at=last.entered,
        )
        deal = Deal(opportunity)
        self.deal = deal
        for when, old, new, reason in amounts[1:]:
            self._change(TrackedField.AMOUNT, old, new, when, owner, reason)

        open_deal = status == OpportunityStatus.OPEN
        self.over_reports = rng.random() < OVER_REPORTING_SHARE
        customer_index = 0
        if rng.random() < LATE_ENTRY_SHARE:
            customer_index = min(rng.choice([2, 3]), len(self.stages) - 2)
        category_bias = rng.choice([-1, 1]) if rng.random() < 0.15 else 0
        state = {
            "customer": customer_index,
            "category": self._category(0, category_bias),
            "probability": self._probability(0, customer_index),
        }
        deal.stage_changes.append(
            StageChange(
                kind=StageChangeKind.CREATED,
                to_stage_id=self.stages[0].pk,
                status=OpportunityStatus.OPEN,
                changed_at=created,
                changed_by_id=owner.pk,
            )
        )
        chain = self._decision_chain(visits, status, death)
        for visit in visits:
            if visit.left is None or visit.how == "death":
                continue
            self._move(visit, visits, state, category_bias)
        self._activities(visits, chain, open_deal)
        self._milestones(visits)
        self._gates(visits, amounts, final_amount, death)
        self._competitors(visits, death)
        self._facts(visits)

        opportunity.customer_stage = self.stages[state["customer"]]
        opportunity.forecast_category = state["category"]
        opportunity.probability = state["probability"]
        if open_deal:
            self._maybe_override_probability(last, state)
        elif status == OpportunityStatus.WON:
            opportunity.forecast_category = ForecastCategory.COMMIT
            opportunity.closed_on = timezone.localdate(closed_at)
            self._set_probability(state, 100, closed_at, owner)
            self._handover(closed_at)
        else:
            _status, reason, gate_kind = death
            opportunity.lost_reason = reason
            opportunity.lost_note = (
                GATE_DEATHS[gate_kind][3] if gate_kind else rng.choice(LOST_NOTES[reason])
            )
            opportunity.lost_at_stage = self.stages[last.index]
            opportunity.closed_on = timezone.localdate(closed_at)
            opportunity.forecast_category = ForecastCategory.OMITTED
            self._set_probability(state, 0, closed_at, owner)
            deal.stage_changes.append(
                StageChange(
                    kind=StageChangeKind.LOST if status == LOST else StageChangeKind.ABANDONED,
                    from_stage_id=self.stages[last.index].pk,
                    to_stage_id=self.stages[last.index].pk,
                    status=status,
                    changed_at=closed_at,
                    changed_by_id=owner.pk,
                    note=opportunity.lost_note,
                    days_in_previous=_days(last.entered, closed_at),
                )
            )
        opportunity.probability = state["probability"]
        self._close_dates(created, closed_at, status)
        dates = [activity.occurred_on for activity, _contacts, _at in deal.activities]
        opportunity.last_activity_on = max(dates) if dates else None
        return deal

    # Amounts, margin, source ---------------------------------------------------------------

    def _amount(self) -> Decimal:
        rng, plan = self.rng, self.plan
        if plan.process_code == "standard":
            return _money(STANDARD_MEDIAN_AMOUNT * rng.lognormvariate(0, 0.6), -3)
        if rng.random() < BIG_DEAL_SHARE[plan.cohort]:
            return _money(rng.uniform(5_000_000, 20_000_000), -5)
        median = COHORT_MEDIAN_AMOUNT[plan.cohort] * SIZE_AMOUNT_FACTOR[plan.account.size]
        return _money(min(20_000_000, median * rng.lognormvariate(0, AMOUNT_SIGMA)))

    def _amount_history(self, created, end, final: Decimal) -> list[tuple]:
        """[(when, old, new, reason)]; the first row is the amount at creation."""
        rng = self.rng
        step = -3 if self.plan.process_code == "standard" else -4
        rows = []
        amount = final
        if rng.random() < AMOUNT_DROP_SHARE and end - created > datetime.timedelta(days=10):
            before = _money(float(final) / (1 - rng.uniform(0.3, 0.55)), step)
            when = _between(created, end, rng, 0.35, 0.95)
            rows.append((when, before, final, rng.choice(DROP_REASONS)))
            amount = before
        if rng.random() < AMOUNT_ADJUST_SHARE and end - created > datetime.timedelta(days=10):
            first = _money(float(amount) * rng.uniform(0.8, 1.2), step)
            latest = rows[0][0] if rows else end
            when = _between(created, latest, rng, 0.1, 0.6)
            if first != amount:
                rows.insert(0, (when, first, amount, rng.choice(ADJUST_REASONS)))
                amount = first
        return [(created, None, amount, ""), *rows]

    def _margin(self) -> Decimal | None:
        if self.rng.random() < 0.05:
            return None
        mean, spread = (18, 4) if self.plan.process_code == "standard" else (30, 6)
        value = min(55, max(5, self.rng.gauss(mean, spread)))
        return Decimal(f"{value:.1f}")

    def _source(self) -> str:
        weights = dict(SOURCE_WEIGHTS)
        if self.plan.account.status != AccountStatus.CUSTOMER:
            weights[Source.EXISTING_CUSTOMER] = 0
        return _weighted(self.rng, weights)

    # Stage moves, customer stage, probability, forecast category ------------------------

    def _category(self, index: int, bias: int) -> str:
        """Pipeline in the early stages, best case in the middle, commit late (solution: 1–3,
        4–5, 6–7; standard: one stage each); some reps are bolder or more careful."""
        share = self.stages[index].order / (len(self.stages) - 1)
        level = 0 if share < 0.5 else 1 if share < 0.8 else 2
        level = min(2, max(0, level + bias)) if index > 0 else 0
        return [ForecastCategory.PIPELINE, ForecastCategory.BEST_CASE, ForecastCategory.COMMIT][
            level
        ]

    def _probability(self, index: int, customer_index: int) -> int:
        return min(self.stages[index].probability, self.stages[customer_index].customer_probability)

    def _change(self, field_name, old, new, when, by, reason=""):
        self.deal.changes.append(
            OpportunityChange(
                field=field_name,
                old_value="" if old is None else str(old),
                new_value="" if new is None else str(new),
                changed_at=when,
                changed_by_id=by.pk,
                reason=reason,
            )
        )

    def _set_probability(self, state, probability: int, when, by, reason=""):
        if probability != state["probability"]:
            self._change(
                TrackedField.PROBABILITY, state["probability"], probability, when, by, reason
            )
            state["probability"] = probability

    def _move(self, visit: Visit, visits: list[Visit], state: dict, bias: int):
        rng, deal = self.rng, self.deal
        position = visits.index(visit)
        target = visits[position + 1].index
        kind = visit.how
        by, override = self.owner, ""
        if kind == StageChangeKind.SKIP and visit.skip_authorised:
            by, override = self.manager, rng.choice(SKIP_OVERRIDES)
        elif kind == StageChangeKind.BACK:
            by = self.manager
            override = BACK_OVERRIDES.get(self.stages[target].code, "客户需求变化。")
        to_stage = self.stages[target]
        deal.stage_changes.append(
            StageChange(
                kind=kind,
                from_stage_id=self.stages[visit.index].pk,
                to_stage_id=to_stage.pk,
                status=OpportunityStatus.WON
                if kind == StageChangeKind.WON
                else OpportunityStatus.OPEN,
                changed_at=visit.left,
                changed_by_id=by.pk,
                note=rng.choice(MOVE_NOTES.get(to_stage.code, [""])),
                override_reason=override,
                days_in_previous=_days(visit.entered, visit.left),
            )
        )
        # The customer's stage follows, except where the rep runs ahead of it or the customer
        # was ahead of us all along.
        customer = state["customer"]
        if kind == StageChangeKind.WON:
            new_customer = max(customer, target)
        elif kind == StageChangeKind.BACK:
            new_customer = target
        elif self.over_reports and target >= 2 and rng.random() < 0.7 and target - customer < 2:
            new_customer = customer
        else:
            new_customer = max(customer, target)
        if new_customer != customer and kind != StageChangeKind.WON:
            # Winning moves the customer along without a tracked edit, as the service does.
            self._change(
                TrackedField.CUSTOMER_STAGE,
                self.stages[customer].code,
                self.stages[new_customer].code,
                visit.left,
                self.owner,
            )
        state["customer"] = new_customer
        if kind != StageChangeKind.WON:
            self._set_probability(state, self._probability(target, new_customer), visit.left, by)
            category = self._category(target, bias)
            if category != state["category"]:
                self._change(
                    TrackedField.FORECAST_CATEGORY,
                    state["category"],
                    category,
                    visit.left,
                    self.owner,
                )
                state["category"] = category

    def _maybe_override_probability(self, last: Visit, state: dict):
        rng = self.rng
        if self.stages[last.index].order < 5 or rng.random() >= PROBABILITY_OVERRIDE_SHARE:
            return
        reason = rng.choice(PROBABILITY_OVERRIDES)
        probability = (
            min(95, state["probability"] + 15)
            if reason == PROBABILITY_OVERRIDES[2]
            else max(5, state["probability"] - 30)
        )
        when = _between(last.entered, self.horizon, rng, 0.2, 0.9)
        opportunity = self.deal.opportunity
        opportunity.probability_override = probability
        opportunity.probability_override_reason = reason
        opportunity.probability_override_by = self.manager
        self._set_probability(state, probability, when, self.manager, reason)

    # Close dates ---------------------------------------------------------------------------

    def _close_dates(self, created, closed_at, status):
        """The first close date is optimistic; the rep pushes it when it comes near, up to four
        times. A few open deals are left past their date."""
        rng = self.rng
        created_on = created.date()
        cycle = TYPICAL_CYCLE_DAYS[self.plan.process_code] * rng.uniform(0.45, 1.0)
        expected = created_on + datetime.timedelta(days=round(cycle))
        is_open = status == OpportunityStatus.OPEN
        end = timezone.localdate(closed_at) if closed_at else self.today
        age = (self.today - created_on).days
        past_due = is_open and age > 20 and rng.random() < PAST_DUE_SHARE
        if past_due:
            expected = min(expected, created_on + datetime.timedelta(days=round(age * 0.8)))
        latest_push = created_on
        pushes = 0
        while expected < end and pushes < 4:
            push_on = expected + datetime.timedelta(days=rng.randint(-10, 5))
            push_on = max(push_on, latest_push + datetime.timedelta(days=1))
            if is_open:
                push_on = min(push_on, self.today - datetime.timedelta(days=1))
            if push_on <= latest_push or push_on >= end:
                break
            new = push_on + datetime.timedelta(days=rng.randint(20, 80))
            if is_open and past_due and new >= self.today:
                break  # the rep stopped updating the date: the deal is past due
            if is_open and pushes == 3 and new < self.today:
                new = self.today + datetime.timedelta(days=rng.randint(7, 60))
            when = self._at(push_on)
            if closed_at is not None and when >= closed_at:
                when = closed_at - datetime.timedelta(hours=1)
            self._change(
                TrackedField.CLOSE_DATE, expected, new, when, self.owner, rng.choice(PUSH_REASONS)
            )
            expected, latest_push, pushes = new, push_on, pushes + 1
        self.deal.opportunity.expected_close_date = expected

    # Activities ----------------------------------------------------------------------------

    def _activities(self, visits: list[Visit], chain: list[Contact], open_deal: bool):
        rng = self.rng
        quiet = open_deal and rng.random() < QUIET_SHARE
        self.visit_activities: dict[int, list[Activity]] = {}
        for position, visit in enumerate(visits):
            stage = self.stages[visit.index]
            if stage.is_won:
                continue
            first = visit.entered.date()
            if visit.left is not None:
                last = visit.left.date() - datetime.timedelta(days=1)
            else:
                last = self.today
                if quiet:
                    last = self.today - datetime.timedelta(days=rng.randint(15, 45))
            if last < first:
                last = first if visit.left is not None else None
            if last is None:
                self.visit_activities[position] = []
                continue
            span = (last - first).days + 1
            number = min(
                MAX_ACTIVITIES_PER_STAGE, max(1, round(span / ACTIVITY_GAP_DAYS[stage.code]))
            )
            days = sorted(
                first + datetime.timedelta(days=rng.randrange(span)) for _ in range(number)
            )
            if visit.left is None and not quiet:
                # An active deal: something happened in the last few days.
                recent = max(first, self.today - datetime.timedelta(days=rng.randint(0, 8)))
                days[-1] = max(days[-1], recent)
            rows = []
            templates = rng.sample(ACTIVITIES[stage.code], len(ACTIVITIES[stage.code]))
            for number, day in enumerate(days):
                kind, subject, outcome, next_step = templates[number % len(templates)]
                activity = Activity(
                    kind=kind,
                    occurred_on=day,
                    subject=subject,
                    outcome=outcome,
                    next_step=next_step,
                    next_step_due=day + datetime.timedelta(days=rng.randint(2, 14)),
                    next_step_done=True,
                    owner_id=self.owner.pk,
                )
                people = rng.sample(chain, min(len(chain), rng.choice([1, 1, 1, 2])))
                logged = self._at(day)
                if day == first and logged < visit.entered:
                    logged = visit.entered + datetime.timedelta(minutes=30)
                logged = min(logged, self.now)
                self.deal.activities.append((activity, people, logged))
                rows.append(activity)
            self.visit_activities[position] = rows
        if open_deal and self.deal.activities:
            # The latest next step is still open: the rep's agenda.
            latest, _people, _logged = max(
                self.deal.activities, key=lambda row: (row[0].occurred_on, row[2])
            )
            latest.next_step_done = False

    # Milestones ----------------------------------------------------------------------------

    def _check(self, milestone: Milestone, when, activity: Activity | None = None):
        note = EVIDENCE_NOTES.get(milestone.code, "见拜访记录。")
        self.deal.checks.append(
            MilestoneCheck(
                milestone_id=milestone.pk,
                is_checked=True,
                evidence_note=note,
                activity=activity,
                checked_by_id=self.owner.pk,
                checked_at=when,
            )
        )
        self.deal.events.append(
            MilestoneEvent(
                milestone_id=milestone.pk,
                checked=True,
                note=note,
                by_id=self.owner.pk,
                at=when,
            )
        )
        self.checked.add(milestone.pk)

    def _activity_for(self, position: int, visit: Visit):
        """An activity of this stay to serve as evidence, as (activity, when checked); logs one
        in a stage left without any, and gives None for a stay still going on."""
        rows = self.visit_activities.get(position) or []
        if rows:
            activity = self.rng.choice(rows)
        elif visit.left is None:
            return None, None
        else:
            stage = self.stages[visit.index]
            kind, subject, outcome, next_step = ACTIVITIES[stage.code][0]
            activity = Activity(
                kind=kind,
                occurred_on=visit.entered.date(),
                subject=subject,
                outcome=outcome,
                next_step=next_step,
                next_step_due=visit.entered.date() + datetime.timedelta(days=3),
                next_step_done=visit.left is not None,
                owner_id=self.owner.pk,
            )
            self.deal.activities.append(
                (activity, [], visit.entered + datetime.timedelta(minutes=30))
            )
            self.visit_activities[position] = [activity]
        moment = datetime.datetime.combine(
            activity.occurred_on, datetime.time(18, 30), tzinfo=self.zone
        )
        return activity, max(moment, visit.entered + datetime.timedelta(minutes=45))

    def _milestones(self, visits: list[Visit]):
        """The required milestones (and some optional ones) of every stage left forward,
        including a skipped one, checked inside the stay; part of them in the stage where the
        deal is still open or died."""
        rng = self.rng
        self.checked: set[int] = set()
        for position, visit in enumerate(visits):
            if self.stages[visit.index].is_won:
                continue
            if visit.left is None or visit.how == "death":
                # Work in progress: some of the stage's milestones are done already (not the
                # contract, nor the record of a gate decision still to come).
                end = visit.left or self.horizon
                required = [
                    milestone
                    for milestone in self.data.required.get(self.stages[visit.index].pk, [])
                    if not milestone.proves_contract
                    and milestone.code not in GATE_MILESTONES
                    and milestone.pk not in self.checked
                ]
                for milestone in rng.sample(required, rng.randint(0, max(0, len(required) - 1))):
                    self._check_in_stay(milestone, position, visit, end)
                continue
            if visit.how == StageChangeKind.BACK:
                continue
            leaving = [visit.index]
            if visit.how == StageChangeKind.SKIP:
                leaving.append(visit.index + 1)
            for index in leaving:
                stage = self.stages[index]
                optional = [m for m in self.data.optional.get(stage.pk, []) if rng.random() < 0.35]
                for milestone in [*self.data.required.get(stage.pk, []), *optional]:
                    if milestone.pk not in self.checked:
                        self._check_in_stay(milestone, position, visit, visit.left)

    def _check_in_stay(self, milestone: Milestone, position: int, visit: Visit, end):
        rng = self.rng
        if milestone.evidence_type == EvidenceType.ACTIVITY:
            activity, when = self._activity_for(position, visit)
            if activity is not None and when < end:
                self._check(milestone, when, activity)
            return
        if milestone.proves_contract:
            when = end - (end - visit.entered) * rng.uniform(0.01, 0.08)
        else:
            when = _between(visit.entered, end, rng, 0.15, 0.9)
        self._check(milestone, when)

    # Gates ---------------------------------------------------------------------------------

    def _gate(self, rule: GateRule, status: str, requested_at, decided_at=None, note=""):
        gate = Gate(
            rule_id=rule.pk,
            kind=rule.kind,
            status=status,
            requested_by_id=self.owner.pk,
            requested_at=requested_at,
            request_note=GATE_REQUEST_NOTES[rule.kind],
        )
        if status != GateStatus.REQUESTED:
            gate.decided_by_id, gate.decided_at = self.manager.pk, decided_at
            gate.decision_note = note or self.rng.choice(GATE_APPROVAL_NOTES)
            if status == GateStatus.APPROVED_WITH_CONDITIONS:
                gate.conditions = self.rng.choice(GATE_CONDITIONS)
        self.deal.gates.append(gate)
        self.requested_gates.append(rule)
        return gate

    def _gates(self, visits, amounts, final_amount, death):
        """An approved gate (sometimes after a rejection) wherever the deal left a gated stage
        the rule applies to; a rejection where a gate killed it; a waiting request on some open
        deals in a gated stage."""
        rng = self.rng

        def amount_at(moment) -> Decimal:
            value = amounts[0][2]
            for when, _old, new, _reason in amounts[1:]:
                if when <= moment:
                    value = new
            return value

        def applies(rule: GateRule, moment) -> bool:
            amount = max(amount_at(moment), final_amount)
            if rule.min_amount is not None and amount < rule.min_amount:
                return False
            return not rule.tiers or self.plan.account.tier in rule.tiers

        passed: set[str] = set()
        for visit in visits:
            end = visit.left or self.horizon
            leaving = [visit.index]
            if visit.how == StageChangeKind.SKIP:
                leaving.append(visit.index + 1)
            for index in leaving:
                rule = self.data.gates.get(self.stages[index].pk)
                if rule is None or rule.kind in passed or not applies(rule, end):
                    continue
                if visit.how in (StageChangeKind.ADVANCE, StageChangeKind.SKIP, "won"):
                    if rng.random() < GATE_REJECTED_FIRST:
                        asked = _between(visit.entered, end, rng, 0.1, 0.2)
                        self._gate(
                            rule,
                            GateStatus.REJECTED,
                            asked,
                            _between(asked, end, rng, 0.2, 0.4),
                            rng.choice(GATE_REJECTION_NOTES),
                        )
                    asked = _between(visit.entered, end, rng, 0.45, 0.75)
                    status = (
                        GateStatus.APPROVED_WITH_CONDITIONS
                        if rng.random() < 0.15
                        else GateStatus.APPROVED
                    )
                    decided = _between(asked, end, rng, 0.1, 0.5)
                    self._gate(rule, status, asked, decided)
                    passed.add(rule.kind)
                    self._check_gate_milestone(rule.kind, decided, end)
                elif visit.how == "death" and death[2] == rule.kind:
                    asked = _between(visit.entered, end, rng, 0.4, 0.7)
                    self._gate(
                        rule,
                        GateStatus.REJECTED,
                        asked,
                        _between(asked, end, rng, 0.2, 0.8),
                        GATE_DEATHS[rule.kind][2],
                    )
                elif (
                    visit.left is None
                    and (end - visit.entered).days >= 3
                    and rng.random() < GATE_PENDING_SHARE
                ):
                    self._gate(
                        rule,
                        GateStatus.REQUESTED,
                        _between(visit.entered, end, rng, 0.5, 0.95),
                    )

    def _check_gate_milestone(self, kind: str, decided, end):
        """The milestone that records the gate's decision is checked after the decision (and
        before the contract, which comes at the very end of the stage)."""
        for check in self.deal.checks:
            code = self.data.codes[check.milestone_id]
            if GATE_MILESTONES.get(code) == kind and check.checked_at < decided:
                check.checked_at = _between(decided, end, self.rng, 0.05, 0.3)
                for event in self.deal.events:
                    if event.milestone_id == check.milestone_id:
                        event.at = check.checked_at

    # Facts, decision chain, competitors, handover ----------------------------------------

    def _facts(self, visits: list[Visit]):
        """MEDDPICC facts known: those of the stages left, some of the current stage's, and
        every fact a gate request needed."""
        rng, opportunity = self.rng, self.deal.opportunity
        learnt = FACTS_LEARNT[self.plan.process_code]
        known: set[str] = set()
        for visit in visits:
            stage = self.stages[visit.index]
            facts = learnt.get(stage.code, [])
            if visit.left is not None and visit.how != "death":
                known.update(facts)
                if visit.how == StageChangeKind.SKIP:
                    known.update(learnt.get(self.stages[visit.index + 1].code, []))
            else:
                known.update(fact for fact in facts if rng.random() < 0.5)
        for rule in self.requested_gates:
            known.update(rule.required_facts)
        for fact in known:
            setattr(opportunity, f"{fact}_known", True)
            if not getattr(opportunity, f"{fact}_note"):
                setattr(opportunity, f"{fact}_note", FACT_NOTES[fact])

    def _decision_chain(self, visits: list[Visit], status: str, death) -> list[Contact]:
        """1–5 of the account's contacts, more the further the deal got, with a role from their
        job title; some late deals single-threaded (one contact, or no supporter with power).
        Returns the contacts, whom the activities then meet."""
        rng = self.rng
        people = self.context.contacts.get(self.plan.account.pk, [])
        if not people:
            return []
        reached = max(self.stages[visit.index].order for visit in visits)
        if reached <= 1:
            number = rng.choice([1, 1, 2])
        elif reached == 2:
            number = rng.choice([2, 2, 3])
        else:
            number = rng.randint(3, 5) if status == OpportunityStatus.WON else rng.randint(2, 5)
        single_threaded = reached >= 4 and rng.random() < SINGLE_THREAD_SHARE
        if single_threaded and rng.random() < 0.5:
            number = 1
        chosen = rng.sample(people, min(number, len(people)))
        if reached >= 4 and not single_threaded:
            # A well-run deal this far has reached someone with power.
            powerful = [person for person in people if _roles_for(person)[1] == Influence.HIGH]
            if powerful and not any(person in powerful for person in chosen):
                chosen[-1] = rng.choice(powerful)
        links = []
        for contact in chosen:
            roles, influence = _roles_for(contact)
            role = _weighted(rng, dict(roles))
            attitude = _weighted(rng, ATTITUDE_WEIGHTS)
            links.append([contact, role, influence, attitude])
        high = [link for link in links if link[2] == Influence.HIGH]
        if single_threaded:
            for link in high:
                link[3] = rng.choice([Attitude.NEUTRAL, Attitude.OPPONENT])
        elif high and (status == OpportunityStatus.WON or (reached >= 4 and rng.random() < 0.9)):
            high[0][3] = rng.choice([Attitude.CHAMPION, Attitude.SUPPORTER])
        if death and death[1] == LostReason.COMPETITOR and len(links) > 1:
            links[-1][3] = Attitude.BACKS_COMPETITOR
        champion_known = reached >= 5 and not single_threaded
        for contact, role, influence, attitude in links:
            if champion_known and influence != Influence.HIGH and attitude in FRIENDLY:
                role, attitude, champion_known = PurchaseRole.CHAMPION, Attitude.CHAMPION, False
            self.deal.chain.append(
                OpportunityContact(
                    contact_id=contact.pk,
                    role=role,
                    influence=influence,
                    attitude=attitude,
                    relationship=rng.randint(*RELATIONSHIP[attitude]),
                )
            )
        return chosen

    def _competitors(self, visits: list[Visit], death):
        rng = self.rng
        lost_to_competitor = death is not None and death[1] in (
            LostReason.COMPETITOR,
            LostReason.PRICE,
        )
        if not lost_to_competitor and rng.random() >= COMPETITOR_SHARE[self.plan.process_code]:
            return
        names = rng.sample(sorted(COMPETITORS), rng.choice([1, 1, 2, 2, 3]))
        for position, name in enumerate(names):
            threat = _weighted(rng, {ThreatLevel.HIGH: 1, ThreatLevel.MID: 2, ThreatLevel.LOW: 1})
            if position == 0 and lost_to_competitor:
                threat = ThreatLevel.HIGH
            self.deal.competitors.append(
                Competitor(
                    name=name,
                    strengths=COMPETITORS[name],
                    threat_level=threat,
                )
            )
        if len(visits) > 2:
            self.deal.opportunity.competition_known = True
            self.deal.opportunity.competition_note = "主要竞争对手：" + "、".join(names)

    def _handover(self, won_at: datetime.datetime):
        rng, context = self.rng, self.context
        delivery = context.delivery_owners.get(self.plan.account.pk)
        if delivery is None and context.engineers and rng.random() < 0.7:
            delivery = rng.choice(context.engineers)
        accepted = won_at + datetime.timedelta(days=rng.uniform(1, 7))
        handover = DeliveryHandover(
            delivery_owner_id=delivery.pk if delivery else None,
            notes=rng.choice(HANDOVER_NOTES),
            created_by_id=self.owner.pk,
            accepted_at=accepted if accepted < self.horizon and delivery else None,
        )
        self.deal.handover = (handover, won_at)


def _roles_for(contact: Contact) -> tuple[list, str]:
    text = f"{contact.title} {contact.department}"
    for keywords, roles, influence in TITLE_ROLES:
        if any(keyword in text for keyword in keywords):
            return roles, influence
    return DEFAULT_ROLES


# Writing ---------------------------------------------------------------------------------


def _attach(rows, *names: str) -> None:
    """Point foreign keys at rows bulk-created after these objects were built: re-assigning
    the related object copies its new primary key into the column."""
    for row in rows:
        for name in names:
            setattr(row, name, getattr(row, name))


def _validate(rows, relations=(), exclude=()) -> None:
    """full_clean() on a sample: enough to fail loudly when the simulation breaks a model rule,
    cheap enough for a quick seeding (see the module docstring). `relations` name the foreign
    keys to rows saved since the sample was built; bulk_create fills in the rest itself."""
    sample = rows[::VALIDATE_EVERY]
    _attach(sample, *relations)
    for row in sample:
        row.full_clean(exclude=exclude)


def _write(deals: list[Deal]) -> None:
    opportunities = [deal.opportunity for deal in deals]
    _validate(opportunities)
    Opportunity.objects.bulk_create(opportunities, batch_size=BATCH)
    for deal in deals:
        deal.attach_children()

    activities = [row for deal in deals for row in deal.activities]
    _validate([activity for activity, _people, _logged in activities])
    for activity, _people, logged in activities:
        activity.created_at = logged  # when the rep logged it
    Activity.objects.bulk_create(
        [activity for activity, _people, _logged in activities], batch_size=BATCH
    )
    through = Activity.contacts.through
    through.objects.bulk_create(
        [
            through(activity_id=activity.pk, contact_id=contact.pk)
            for activity, people, _logged in activities
            for contact in people
        ],
        batch_size=BATCH,
    )

    # The creation row of a deal has no previous stage: days_in_previous is NULL there, as the
    # services write it, although the field is not blank=True for forms.
    for model, attribute, relations, exclude in (
        (StageChange, "stage_changes", [], ["days_in_previous"]),
        (OpportunityChange, "changes", [], []),
        (MilestoneCheck, "checks", ["activity"], []),
        (MilestoneEvent, "events", [], []),
        (Gate, "gates", [], []),
        (OpportunityContact, "chain", [], []),
        (Competitor, "competitors", [], []),
    ):
        rows = [row for deal in deals for row in getattr(deal, attribute)]
        _validate(rows, relations, exclude)
        model.objects.bulk_create(rows, batch_size=BATCH)

    handovers = [deal.handover for deal in deals if deal.handover is not None]
    for handover, won_at in handovers:
        handover.created_at = won_at
    _validate([handover for handover, _won_at in handovers])
    DeliveryHandover.objects.bulk_create(
        [handover for handover, _won_at in handovers], batch_size=BATCH
    )


def demo_accounts() -> list[Account]:
    """The accounts of the demo sales teams, which the demo deals are planned on."""
    return list(
        Account.objects.filter(owner_team__name__in=TERRITORIES)
        .select_related("owner")
        .order_by("name")
    )


@transaction.atomic
def seed_opportunities(
    *, rng: random.Random, today: datetime.date, count: int = DEFAULT_OPPORTUNITY_COUNT
) -> dict:
    """Create the planned demo deals that do not exist yet, with their history, then recompute
    the account tiers once. Returns what was created (all zero on a second run)."""
    accounts = demo_accounts()
    # The plan reads the accounts' status, which the first run's wins change; so a second run
    # does not plan again: the seeding is one transaction, all there or none.
    if Opportunity.objects.filter(account__in=accounts).exists():
        todo = []
    else:
        todo = plan_deals(rng=rng, count=count, accounts=accounts)
    created = {
        "opportunities": 0,
        "statuses": Counter(),
        "open_stages": Counter(),
        "closed_stages": Counter(),
        "stage_changes": 0,
        "activities": 0,
        "tiers": {},
    }
    if not todo:
        return created
    context = _context(today)
    for plan in todo:
        if plan.process_code not in context.processes:  # an admin retired the short process
            plan.process_code = "solution"
    for start in range(0, len(todo), CHUNK):
        deals = [Simulation(plan, context).run() for plan in todo[start : start + CHUNK]]
        _write(deals)
        for deal in deals:
            opportunity = deal.opportunity
            created["statuses"][opportunity.status] += 1
            stages = created["open_stages" if opportunity.is_open else "closed_stages"]
            stages[opportunity.stage.code] += 1
            created["stage_changes"] += len(deal.stage_changes)
            created["activities"] += len(deal.activities)
        created["opportunities"] += len(deals)
    accounts_won(
        account_ids=Opportunity.objects.filter(status="won").values_list("account_id", flat=True)
    )
    tiering_recompute()
    tiers = Counter(Account.objects.values_list("tier", flat=True))
    created["tiers"] = {tier: tiers.get(tier, 0) for tier in Tier.values}
    return created
