# ruff: noqa: RUF001 (the Chinese texts use Chinese punctuation)
"""Seed the sales processes every company starts with (DESIGN.md §1.1–1.3).

- `solution`, the default: the eight-stage advancement process that mirrors the customer's
  internal purchase process, with milestones, tasks, aids, collaborators and the ATI / ATB / ATC
  gates;
- `standard`: four short stages for small standard-product deals, to show that a company can run
  a second process with milestones of its own.

Everything here is only a starting point. Once seeded, the rows belong to the company's admins,
who edit names, probabilities, milestones, aids and gate thresholds in the Django admin.
Therefore the seeding never overwrites: a process whose code already exists is left exactly as it
is (no rows updated, none added back), and a fresh process is written complete, in one
transaction with the rest of the migration.

Reverse: each seeded process is deleted unless something still refers to it. Opportunity.process
(and the stage and milestone references of opportunities) are PROTECT, so a process in use
raises ProtectedError before anything is deleted; it is then kept, and applying this migration
again finds its code taken and leaves it alone.

Content is plain data: every text is an (English, Chinese) pair; a list in a pair is a text of
one line per item (question lists, checklists). Stage orders are consecutive (1, 2, 3, ...)
because opportunities compare the sales and customer stages by order; milestones, tasks and aids
are numbered in tens so that admins can insert rows between them.
"""

import contextlib
from decimal import Decimal

from django.db import migrations
from django.db.models import ProtectedError

# Industries are accounts.choices.Industry values, spelled out: migrations do not import app code.
ALL_INDUSTRIES = ""
MANUFACTURING = "manufacturing"
BANKING = "banking"


def milestone(code, name, description, *, evidence="any", required=True, proves_contract=False):
    return {
        "code": code,
        "name": name,
        "description": description,
        "evidence_type": evidence,
        "is_required": required,
        "proves_contract": proves_contract,
    }


def task(name, description=("", "")):
    return {"name": name, "description": description}


def aid(kind, title, body, *, industry=ALL_INDUSTRIES):
    return {"kind": kind, "industry": industry, "title": title, "body": body}


SOLUTION_PROCESS = {
    "code": "solution",
    "name": ("Solution sales (8 stages)", "解决方案销售（八阶段）"),
    "description": (
        "For solution projects: the eight-stage advancement process that follows the customer's "
        "internal purchase process one to one. Large deals pass the ATI, ATB and ATC review "
        "gates.",
        "适用于解决方案类项目：与客户内部采购流程一一对应的八阶段业务推进流程。"
        "大项目须通过ATI、ATB、ATC三道评审。",
    ),
}

SOLUTION_STAGES = [
    {
        "code": "qualify",
        "name": ("Opportunity initiation", "项目立项"),
        "customer_name": ("Problem recognised", "发现问题，提出问题"),
        "probability": 10,
        "milestones": [
            milestone(
                "pain_identified",
                ("Customer's pain identified", "已识别客户痛点"),
                (
                    "A named person at the customer described a problem worth solving, in their "
                    "own words, and what it costs them.",
                    "客户方有具体的人用自己的话描述了值得解决的问题及其代价。",
                ),
                evidence="note",
            ),
            milestone(
                "economic_buyer_known",
                ("Economic buyer known", "已明确经济决策人"),
                (
                    "We know who approves the budget for this project, even if we have not met "
                    "them yet.",
                    "已知道谁审批该项目的预算，即使尚未与其见面。",
                ),
                evidence="note",
            ),
            milestone(
                "fit_and_size_assessed",
                ("Fit, amount and timing assessed", "已评估匹配度、金额与时间"),
                (
                    "The need matches what we sell and deliver; the amount and the expected close "
                    "date are estimated on the opportunity.",
                    "需求与我方产品和交付能力匹配；已在商机中估算金额和预计签约时间。",
                ),
                evidence="note",
            ),
        ],
        "tasks": [
            task(
                ("Record the customer's problem and who raised it", "记录客户提出的问题及提出人"),
                (
                    "Write down the pain in the customer's words, with the name and position of "
                    "the person who raised it.",
                    "用客户的原话记录痛点，并注明提出人的姓名和职务。",
                ),
            ),
            task(
                (
                    "Check the account's tier, history and open deals",
                    "核查客户分级、合作历史与在途商机",
                ),
            ),
            task(
                (
                    "Estimate the amount, the expected close date and our fit",
                    "估算金额、预计签约时间及我方匹配度",
                ),
            ),
            task(
                ("Request ATI for deals above the threshold", "超过门槛的项目提交立项评审（ATI）"),
                (
                    "Identified pain and economic buyer must be known before the request.",
                    "提交前须已掌握客户痛点和经济决策人。",
                ),
            ),
        ],
        "aids": [
            aid(
                "guidance",
                ("What makes an opportunity worth initiating", "什么样的商机值得立项"),
                (
                    "Initiate an opportunity when three things are true: the customer admits a "
                    "pain, someone can fund the fix, and there is a reason to act within the next "
                    "twelve months. If one is missing, keep it as a lead and stay in touch: a "
                    "pipeline full of hopes makes every forecast wrong. Deals above the ATI "
                    "threshold need the sales manager's approval to invest before presales work "
                    "beyond a standard technical exchange starts.",
                    "同时满足三个条件时才立项：客户承认存在痛点，有人能为解决方案出钱，"
                    "并且有在未来十二个月内行动的理由。缺少其中任何一项，就先作为线索保持跟进："
                    "塞满愿望的漏斗会让所有预测失真。超过ATI门槛的项目须经销售经理批准投入后，"
                    "才能申请标准技术交流以外的售前支持。",
                ),
            ),
            aid(
                "questions",
                ("Qualification questions", "立项判断问题清单"),
                (
                    [
                        "What pain did the customer describe, in their own words?",
                        "Who raised it, and what is their position?",
                        "Who would approve the budget to fix it?",
                        "Why now: which event or deadline drives it?",
                        "Does the need match what we sell and can deliver?",
                        "Roughly how large is the deal, and when could it close?",
                        "Have we worked with this account before, and how did it go?",
                    ],
                    [
                        "客户用自己的话描述了什么痛点？",
                        "是谁提出的？担任什么职务？",
                        "谁会审批解决这个问题的预算？",
                        "为什么是现在：有什么事件或期限在推动？",
                        "需求与我方的销售和交付能力是否匹配？",
                        "项目金额大约多少？可能何时签约？",
                        "我们以前是否与该客户合作过？效果如何？",
                    ],
                ),
            ),
        ],
        "collaborators": {
            "solution_owner": (
                "Judges whether our offering can solve the problem",
                "判断我方方案能否解决客户的问题",
            ),
            "presales": (
                "Standard technical exchange only; fit assessed quickly",
                "仅限标准技术交流，快速评估匹配度",
            ),
        },
    },
    {
        "code": "contact",
        "name": ("Initial contact", "初步接触"),
        "customer_name": ("Needs analysed, budget set", "分析研讨，确定预算"),
        "probability": 20,
        "milestones": [
            milestone(
                "budget_status_known",
                ("Budget status known", "已掌握预算情况"),
                (
                    "Whether a budget exists, its size or range, where the money comes from and "
                    "which fiscal year it belongs to.",
                    "是否已有预算、预算规模或区间、资金来源及所属财年。",
                ),
                evidence="note",
            ),
            milestone(
                "decision_chain_mapped",
                ("Decision chain has at least 2 roles mapped", "决策链中至少已识别2个角色"),
                (
                    "At least two contacts are recorded on the opportunity with their role in "
                    "this purchase, their influence and their attitude towards us.",
                    "商机中至少记录了两位联系人在本次采购中的角色、影响力和对我方的态度。",
                ),
            ),
            milestone(
                "needs_discussed",
                ("Needs discussed with the business owner", "已与业务负责人深入沟通需求"),
                (
                    "A visit or meeting with the person who owns the problem is logged, with the "
                    "needs and priorities it revealed.",
                    "已记录与问题负责人的拜访或会议，以及了解到的需求和优先级。",
                ),
                evidence="activity",
            ),
            milestone(
                "timeline_known",
                ("Customer's project timeline known", "已了解客户项目时间表"),
                (
                    "When the customer plans to approve the project, choose a supplier and go "
                    "live.",
                    "客户计划何时立项、何时选定供应商、何时上线。",
                ),
                evidence="note",
                required=False,
            ),
        ],
        "tasks": [
            task(
                (
                    "Visit the business owner and run the discovery questionnaire",
                    "拜访业务负责人，按需求调研问卷进行访谈",
                ),
                (
                    "Use the questionnaire for the account's industry where there is one.",
                    "如有对应行业的问卷，请使用行业问卷。",
                ),
            ),
            task(
                (
                    "Map the decision chain: roles, influence, attitude",
                    "梳理决策链：角色、影响力与态度",
                ),
            ),
            task(
                (
                    "Find out the budget status and the approval path",
                    "了解预算状态与审批流程",
                ),
            ),
            task(
                (
                    "Log every meeting with its outcome and next step",
                    "每次会面都记录结果与下一步行动",
                ),
            ),
        ],
        "aids": [
            aid(
                "questions",
                ("Discovery questionnaire", "需求调研问卷"),
                (
                    [
                        "What made you start looking at this now, and what happens if nothing "
                        "changes?",
                        "How do you measure the problem today (cost, time, errors, complaints)?",
                        "Who is affected most, and who owns the problem?",
                        "Is there a budget? How large, from which budget line, for which year?",
                        "Who approves the budget, and who else has a say in the decision?",
                        "How have you bought similar solutions before (open tender, invited "
                        "tender, direct purchase)?",
                        "By when do you need a result, and what drives that date?",
                        "Which other suppliers or internal options are you considering?",
                    ],
                    [
                        "是什么促使您现在开始考虑这件事？如果维持现状，会有什么影响？",
                        "目前如何衡量这个问题（成本、时间、差错、投诉）？",
                        "哪些部门受影响最大？由谁负责解决这个问题？",
                        "是否有预算？规模多大、出自哪个预算科目、属于哪个年度？",
                        "由谁审批预算？还有哪些人参与决策？",
                        "以往类似采购是怎么做的（公开招标、邀请招标、直接采购）？",
                        "希望什么时候见到成效？这个时间点由什么决定？",
                        "还在考虑哪些供应商或内部方案？",
                    ],
                ),
            ),
            aid(
                "questions",
                ("Discovery questionnaire: manufacturing", "需求调研问卷：制造业"),
                (
                    [
                        "How many plants and production lines are in scope, and where are they?",
                        "Which MES, ERP and PLM systems run in each plant, and how well are they "
                        "connected?",
                        "What is your OEE today, how is it measured, and what target has "
                        "management set?",
                        "Which losses hurt most: unplanned downtime, changeovers, yield, scrap or "
                        "rework?",
                        "How much of the equipment is networked, and which protocols and PLCs "
                        "are in use?",
                        "How are production scheduling and material supply planned today?",
                        "What quality traceability do your own customers (e.g. car makers) "
                        "require?",
                        "Is there a smart-manufacturing or digital-workshop programme, and who "
                        "leads it?",
                        "Who signs off IT/OT projects: the plant manager, group IT or the board?",
                    ],
                    [
                        "本次涉及多少个工厂、多少条产线？分布在哪里？",
                        "各工厂使用哪些MES、ERP和PLM系统？系统之间打通程度如何？",
                        "目前的设备综合效率（OEE）是多少？如何统计？管理层定的目标是多少？",
                        "哪类损失最突出：非计划停机、换型时间、良率、报废还是返工？",
                        "设备联网率如何？使用哪些通信协议和PLC？",
                        "目前生产排程和物料配送是如何计划的？",
                        "您的客户（如整车厂）对质量追溯有哪些要求？",
                        "是否有智能制造或数字化车间规划？由谁牵头？",
                        "IT/OT项目由谁最终拍板：厂长、集团信息部还是董事会？",
                    ],
                ),
                industry=MANUFACTURING,
            ),
            aid(
                "questions",
                ("Discovery questionnaire: banking", "需求调研问卷：银行业"),
                (
                    [
                        "Which core banking system do you run, and is a core replacement or a "
                        "move to a distributed core planned?",
                        "Which business lines are in scope: retail, corporate, credit cards, "
                        "wealth management?",
                        "Which regulatory requirements drive the project (NFRA, PBOC, regulatory "
                        "reporting such as EAST)?",
                        "What are your rules on data residency and cross-border transfer; must "
                        "the system run on-premises, or may it run on a financial cloud?",
                        "Which MLPS (Multi-Level Protection Scheme) level is required, and are "
                        "domestic servers, databases and operating systems (Xinchuang) "
                        "mandatory?",
                        "How do procurement and IT risk review work: central procurement at head "
                        "office, or by the branch?",
                        "Which departments sign off: the business line, IT, risk and compliance, "
                        "information security?",
                        "Are there budget cycles or change freezes (year-end closing, regulatory "
                        "inspections) we must plan around?",
                    ],
                    [
                        "目前使用哪套核心业务系统？是否计划核心系统替换或分布式改造？",
                        "本次涉及哪些业务条线：零售、对公、信用卡还是财富管理？",
                        "推动本项目的监管要求有哪些（国家金融监督管理总局、人民银行、EAST等监管报送）？",
                        "对数据境内存储和跨境传输有何规定？系统须本地部署，还是可以上金融云？",
                        "要求达到等保几级？服务器、数据库和操作系统是否有信创要求？",
                        "采购与科技风险评审流程如何：总行集中采购还是分行自行采购？",
                        "哪些部门需要会签：业务部门、信息科技部、风险合规部、信息安全部？",
                        "是否有需要避开的预算周期或封网期（年终决算、监管检查）？",
                    ],
                ),
                industry=BANKING,
            ),
            aid(
                "guidance",
                ("Mapping the decision chain", "如何梳理决策链"),
                (
                    "Find the right people before you pitch. Map at least the economic buyer, the "
                    "business owner of the problem and the technical evaluator, and note for each "
                    "their influence and attitude towards us. One friendly contact is not a "
                    "decision chain: a deal that depends on a single person is lost when that "
                    "person moves or goes quiet. Ask your contact to introduce you one level up, "
                    "and log every meeting with its outcome and next step.",
                    "先找对人，再谈方案。至少要识别经济决策人、问题所属的业务负责人和技术评估人，"
                    "并记录每个人的影响力和对我方的态度。一个熟悉的联系人不等于一条决策链："
                    "只靠一个人的项目，一旦此人调岗或不再表态就会丢单。请联系人引荐更高一层的领导，"
                    "每次会面都记录结果和下一步行动。",
                ),
            ),
        ],
        "collaborators": {
            "solution_owner": (
                "Customer's needs understood well enough to shape a solution",
                "充分理解客户需求，足以形成方案思路",
            ),
            "presales": (
                "Technical exchange held and needs documented",
                "完成技术交流并记录需求",
            ),
        },
    },
    {
        "code": "design",
        "name": ("Solution design", "方案设计"),
        "customer_name": ("Project approved, team formed", "项目立项，建立小组"),
        "probability": 30,
        "milestones": [
            milestone(
                "customer_team_formed",
                (
                    "Customer approved the project and formed a team",
                    "客户已立项并成立项目小组",
                ),
                (
                    "The customer's project leader and team members are known and recorded in "
                    "the decision chain.",
                    "已知客户项目负责人和小组成员，并已记录在决策链中。",
                ),
                evidence="note",
            ),
            milestone(
                "solution_presented",
                (
                    "Solution presented to the customer's project team",
                    "已向客户项目组汇报方案",
                ),
                (
                    "A presentation or workshop with the project team is logged, with their "
                    "feedback.",
                    "已记录与项目组的方案汇报或研讨会及其反馈。",
                ),
                evidence="activity",
            ),
            milestone(
                "pains_addressed",
                (
                    "Customer agreed the solution addresses the stated pains",
                    "客户认可方案能解决其提出的痛点",
                ),
                (
                    "The customer's project leader agreed, at least verbally, that the proposed "
                    "scope solves the problems found in discovery.",
                    "客户项目负责人至少已口头认可建议的方案范围能解决调研中发现的问题。",
                ),
                evidence="note",
            ),
            milestone(
                "budgetary_price_shared",
                ("Budgetary price shared", "已提供预算报价"),
                (
                    "A price range was given so that the customer can secure or adjust the budget.",
                    "已提供价格区间，便于客户申请或调整预算。",
                ),
                required=False,
            ),
        ],
        "tasks": [
            task(
                (
                    "Brief presales on the pains, the scope and the decision chain",
                    "向售前介绍客户痛点、项目范围与决策链",
                ),
            ),
            task(
                (
                    "Write the solution proposal together with presales",
                    "与售前共同编写解决方案建议书",
                ),
            ),
            task(
                (
                    "Present the solution to the customer's project team",
                    "向客户项目组汇报方案",
                ),
            ),
            task(
                (
                    "Agree a budgetary price range internally",
                    "内部确定预算报价区间",
                ),
                (
                    "With the sales manager, before any number reaches the customer.",
                    "须在向客户报出任何数字之前与销售经理商定。",
                ),
            ),
        ],
        "aids": [
            aid(
                "template",
                ("Solution proposal outline", "解决方案建议书提纲"),
                (
                    [
                        "1. The customer's situation and goals, in their words",
                        "2. Pains and their business impact, with the customer's own numbers",
                        "3. Proposed solution: scope, architecture, what changes for each group "
                        "of users",
                        "4. How each pain is addressed, and how success will be measured",
                        "5. Implementation plan: phases, milestones, resources the customer "
                        "provides",
                        "6. References from similar customers",
                        "7. Budgetary price and options",
                        "8. Next steps and the decision timetable",
                    ],
                    [
                        "1. 客户现状与目标（用客户的原话）",
                        "2. 痛点及其业务影响（引用客户提供的数据）",
                        "3. 建议方案：范围、架构、对各类用户带来的变化",
                        "4. 每个痛点如何解决，成效如何衡量",
                        "5. 实施计划：阶段、里程碑、需客户投入的资源",
                        "6. 同类客户的成功案例",
                        "7. 预算报价与可选方案",
                        "8. 下一步工作与决策时间表",
                    ],
                ),
            ),
            aid(
                "questions",
                ("Solution design checklist: manufacturing", "方案设计核对清单：制造业"),
                (
                    [
                        "Integration with the plant's MES, ERP and PLM: which interfaces, and "
                        "who owns them?",
                        "Rollout order: pilot line, pilot plant, then the other plants?",
                        "Is the OEE baseline measured before go-live, so that the gain can be "
                        "proven?",
                        "OT network and cybersecurity: how are office and shop-floor networks "
                        "separated?",
                        "Equipment connectivity: protocols, gateways, old machines without "
                        "interfaces?",
                        "Which shift patterns and production freezes limit the cut-over windows?",
                        "Who approves the design: the plant manager, process engineering or "
                        "group IT?",
                    ],
                    [
                        "与工厂MES、ERP、PLM如何集成：涉及哪些接口？由谁负责？",
                        "推广顺序：先试点产线、再试点工厂、后全面推广？",
                        "上线前是否测定OEE基线，以便证明改善效果？",
                        "OT网络与安全：办公网与生产网如何隔离？",
                        "设备联网：通信协议、网关、无接口的老旧设备如何处理？",
                        "哪些倒班安排和停产窗口限制了系统切换时间？",
                        "客户方由谁审批方案：厂长、工艺部门还是集团信息部？",
                    ],
                ),
                industry=MANUFACTURING,
            ),
            aid(
                "questions",
                ("Solution design checklist: banking", "方案设计核对清单：银行业"),
                (
                    [
                        "Interfaces with the core banking system and the ESB: message formats, "
                        "batch windows, volumes?",
                        "Which regulatory reports (EAST, 1104) must the solution feed, and how "
                        "is data lineage shown?",
                        "Deployment: on-premises, private cloud or financial cloud, with all data "
                        "kept in mainland China?",
                        "MLPS level 3 controls: access control, audit logs, encryption with the "
                        "national SM algorithms?",
                        "Domestic technology stack (Xinchuang): servers, databases, operating "
                        "systems, middleware?",
                        "Disaster recovery: RPO and RTO; two sites in one city, or three centres "
                        "in two regions?",
                        "Which IT risk and outsourcing review will the bank run on us as a "
                        "supplier?",
                    ],
                    [
                        "与核心系统及ESB的接口：报文格式、批处理窗口、交易量？",
                        "方案需支撑哪些监管报送（EAST、1104）？数据血缘如何展示？",
                        "部署方式：本地部署、私有云还是金融云？数据是否全部存储在境内？",
                        "等保三级控制措施：访问控制、审计日志、国密算法加密？",
                        "信创技术栈：服务器、数据库、操作系统、中间件？",
                        "灾备：RPO与RTO要求如何？同城双活还是两地三中心？",
                        "银行将对我方作为供应商开展哪些科技风险与外包风险评估？",
                    ],
                ),
                industry=BANKING,
            ),
        ],
        "collaborators": {
            "presales": ("Solution fits the stated pains", "方案契合客户提出的痛点"),
            "solution_owner": (
                "Architecture and scope are sound and consistent with our offering",
                "架构与范围合理，符合我方产品路线",
            ),
            "delivery_owner": (
                "Scope can be delivered with our resources on the customer's timeline",
                "方案范围能以我方资源按客户时间表交付",
            ),
        },
    },
    {
        "code": "prove",
        "name": ("Credentials & proof", "业绩展示"),
        "customer_name": ("Criteria set, goals fixed", "建立标准，稳定目标"),
        "probability": 40,
        "milestones": [
            milestone(
                "reference_presented",
                ("Reference case or site visit delivered", "已完成案例介绍或样板客户参观"),
                (
                    "A comparable customer case was presented, or a visit to a reference "
                    "customer was held.",
                    "已介绍同类客户案例，或已组织参观样板客户。",
                ),
                evidence="activity",
            ),
            milestone(
                "criteria_known",
                (
                    "Evaluation criteria known and reflect our strengths",
                    "已掌握评估标准且标准体现我方优势",
                ),
                (
                    "We know how the customer will score vendors, and at least one criterion "
                    "favours us.",
                    "清楚客户将如何给供应商打分，且至少有一项标准对我方有利。",
                ),
                evidence="note",
            ),
            milestone(
                "champion_identified",
                ("Champion identified", "已发展内部支持者"),
                (
                    "Someone with influence inside the customer actively sells our solution there.",
                    "客户内部有具备影响力的人在主动推动我方方案。",
                ),
                evidence="note",
            ),
            milestone(
                "poc_accepted",
                ("Proof of concept or demo accepted", "POC或演示已获客户认可"),
                (
                    "Where the customer asked for a proof of concept: the result report the "
                    "customer signed off.",
                    "如客户要求POC，上传客户签认的结果报告。",
                ),
                evidence="file",
                required=False,
            ),
        ],
        "tasks": [
            task(
                (
                    "Choose reference cases from the same industry and size",
                    "挑选同行业、同规模的成功案例",
                ),
            ),
            task(
                (
                    "Organise a reference visit or an executive exchange",
                    "组织样板客户参观或高层交流",
                ),
            ),
            task(
                (
                    "Plan and run the POC or demo with presales",
                    "与售前共同策划并实施POC或演示",
                ),
                (
                    "Agree the success criteria with the customer in writing before the start.",
                    "开始前与客户书面确认成功标准。",
                ),
            ),
            task(
                (
                    "Help the customer write the evaluation criteria",
                    "协助客户制定评估标准",
                ),
            ),
        ],
        "aids": [
            aid(
                "guidance",
                ("Choosing a reference", "如何选择参考案例"),
                (
                    "The best reference is a customer the prospect respects, in the same industry "
                    "and of a similar size, who had the same pain and can show the result in "
                    "numbers. Ask the reference customer's permission before every visit, brief "
                    "them on what the prospect cares about, and bring the delivery owner who ran "
                    "the project. A good reference visit shows people doing their daily work with "
                    "our solution, not slides.",
                    "最好的案例是客户认可的同行：行业相同、规模相近、遇到过同样的痛点，"
                    "并能用数据说明成效。每次参观前都要征得样板客户同意，提前向其介绍来访客户关注的重点，"
                    "并请负责该项目的交付负责人同行。好的样板参观展示的是用户日常使用我方方案的真实场景，"
                    "而不是幻灯片。",
                ),
            ),
            aid(
                "template",
                ("Proof of concept plan", "POC方案模板"),
                (
                    [
                        "Objective: which of the customer's questions the POC must answer",
                        "Scope: functions, data and users included, and what is out of scope",
                        "Success criteria: measurable, agreed in writing before the start",
                        "Environment: hardware, software, data and access the customer provides",
                        "Schedule: start, checkpoints, end (usually two to four weeks)",
                        "Team: names and roles on both sides",
                        "Sign-off: who signs the result report",
                    ],
                    [
                        "目标：POC需要回答客户的哪些问题",
                        "范围：包含的功能、数据和用户，以及不在范围内的内容",
                        "成功标准：可量化，开始前双方书面确认",
                        "环境：客户需提供的硬件、软件、数据与访问权限",
                        "进度：开始时间、检查点、结束时间（通常二至四周）",
                        "团队：双方人员姓名与职责",
                        "验收：由谁签署结果报告",
                    ],
                ),
            ),
        ],
        "collaborators": {
            "presales": (
                "POC or demo run to plan and accepted by the customer",
                "POC或演示按计划完成并获客户认可",
            ),
            "solution_owner": (
                "Evaluation criteria reflect our strengths",
                "评估标准体现我方优势",
            ),
            "delivery_owner": (
                "Reference customers ready to speak for us",
                "样板客户愿意为我方背书",
            ),
        },
    },
    {
        "code": "confirm",
        "name": ("Solution confirmed", "方案确认"),
        "customer_name": ("Tender issued, shortlist", "确定招标，初步筛选"),
        "probability": 50,
        "milestones": [
            milestone(
                "solution_confirmed_in_writing",
                ("Customer confirmed the solution in writing", "客户已书面确认方案"),
                (
                    "An e-mail, meeting minutes or a signed scope document from the customer's "
                    "project leader.",
                    "客户项目负责人发出的邮件、会议纪要或签字确认的范围文件。",
                ),
                evidence="file",
            ),
            milestone(
                "tender_process_known",
                ("Tender method and timetable known", "已掌握招标方式与时间表"),
                (
                    "Open or invited tender, competitive negotiation or single source; the dates "
                    "of issue, questions and submission.",
                    "公开招标、邀请招标、竞争性谈判或单一来源；发标、答疑和投标截止日期。",
                ),
                evidence="note",
            ),
            milestone(
                "bid_decision_approved",
                ("Bid decision (ATB) approved", "投标决策（ATB）已批准"),
                (
                    "Deals above the ATB threshold need the gate approved; for smaller deals, "
                    "the sales manager's go-ahead recorded as a note.",
                    "超过ATB门槛的项目须通过投标评审；小项目以备注记录销售经理的同意意见。",
                ),
            ),
            milestone(
                "shortlisted",
                ("We are on the shortlist", "我方已入围"),
                (
                    "The customer's initial screening kept us among the vendors invited to bid.",
                    "经客户初步筛选，我方在受邀投标的供应商之列。",
                ),
                evidence="note",
                required=False,
            ),
        ],
        "tasks": [
            task(
                (
                    "Get the confirmed solution scope in writing",
                    "取得客户对方案范围的书面确认",
                ),
            ),
            task(
                (
                    "Review the tender documents for disqualifying terms",
                    "审阅招标文件，排查可能导致废标的条款",
                ),
            ),
            task(
                (
                    "Request ATB with decision criteria, decision process and champion recorded",
                    "记录决策标准、决策流程与支持者后提交投标评审（ATB）",
                ),
            ),
            task(
                (
                    "Form the bid team and agree the bid timetable",
                    "组建投标团队并制定投标时间表",
                ),
            ),
        ],
        "aids": [
            aid(
                "guidance",
                ("Bid or no bid", "是否投标的判断"),
                (
                    "Bidding costs presales time, bid bonds and management attention. Bid when "
                    "the tender's criteria reflect our strengths, a champion is working for us, "
                    "and we know how the decision will be made. A tender that arrives without any "
                    "earlier contact, or whose criteria point to a competitor's product, was "
                    "usually written for someone else: decline politely, or bid only with a clear "
                    "reason recorded in the ATB request.",
                    "投标要消耗售前资源、投标保证金和管理层精力。当招标标准体现我方优势、"
                    "有支持者在为我们推动、并且清楚决策方式时才投标。事先没有任何接触就收到的标书，"
                    "或评分标准明显指向竞争对手产品的标书，通常是为别人准备的：应礼貌放弃，"
                    "或在ATB申请中写明投标的充分理由。",
                ),
            ),
            aid(
                "template",
                ("Bid response checklist", "投标文件核对清单"),
                (
                    [
                        "Qualification documents: business licence, certificates, audited "
                        "financial statements",
                        "Bid bond paid, receipt attached",
                        "Letter of authorisation signed by the legal representative",
                        "Point-by-point response to the technical requirements, with a list of "
                        "deviations",
                        "Commercial offer: price breakdown, payment terms, validity",
                        "Reference contracts as the scoring rules require",
                        "Sealed, signed and delivered before the deadline; electronic bid "
                        "uploaded and encrypted",
                    ],
                    [
                        "资质文件：营业执照、资质证书、经审计的财务报表",
                        "已缴纳投标保证金并附凭证",
                        "法定代表人签署的授权委托书",
                        "技术要求逐条应答，并附偏离表",
                        "商务报价：价格明细、付款条件、报价有效期",
                        "按评分办法要求提供业绩合同",
                        "按时密封、签章并递交；电子标书已上传并加密",
                    ],
                ),
            ),
        ],
        "collaborators": {
            "solution_owner": (
                "Bid decision justified; technical response compliant",
                "投标决策有据可依，技术应答合规",
            ),
            "presales": (
                "Technical bid documents complete and on time",
                "技术标书完整并按时完成",
            ),
            "finance": (
                "Bid price, bid bond and payment terms within policy",
                "投标报价、保证金与付款条件符合公司政策",
            ),
        },
    },
    {
        "code": "evaluate",
        "name": ("Evaluation", "项目评估"),
        "customer_name": ("Preferred vendor chosen", "认准首选，筛供应商"),
        "probability": 70,
        "milestones": [
            milestone(
                "bid_submitted",
                ("Bid submitted", "已提交投标文件"),
                (
                    "The bid or final proposal as submitted, with the receipt.",
                    "已提交的投标文件或最终方案及递交回执。",
                ),
                evidence="file",
            ),
            milestone(
                "preferred_vendor",
                (
                    "Customer indicated we are the preferred vendor",
                    "客户表明我方为首选供应商",
                ),
                (
                    "From the evaluation result, the published list of winning candidates or "
                    "the champion.",
                    "依据评标结果、中标候选人公示或支持者的反馈。",
                ),
                evidence="note",
            ),
            milestone(
                "competition_assessed",
                (
                    "Competitors' positions and prices assessed",
                    "已评估竞争对手的位置与报价",
                ),
                (
                    "Each competitor recorded on the opportunity with its strengths and threat.",
                    "已在商机中记录每个竞争对手的优势与威胁程度。",
                ),
                evidence="note",
                required=False,
            ),
        ],
        "tasks": [
            task(
                (
                    "Submit the bid on time and attend the bid opening",
                    "按时递交投标文件并参加开标",
                ),
            ),
            task(
                (
                    "Prepare the presentation and the answers to clarification questions",
                    "准备述标材料与澄清答疑",
                ),
            ),
            task(
                (
                    "Check with the champion how the evaluation is going",
                    "通过支持者了解评估进展",
                ),
            ),
            task(
                (
                    "Update the competitors and their threat",
                    "更新竞争对手信息及威胁程度",
                ),
            ),
        ],
        "aids": [
            aid(
                "guidance",
                ("After the bid: stay close to the evaluation", "投标后：紧跟评估过程"),
                (
                    "Between the bid opening and the award, the deal is won or lost on the "
                    "clarifications, the presentation and what the evaluators hear informally. "
                    "Keep in touch with the champion, answer clarification questions the same "
                    "day, and rehearse the presentation with the people who will deliver the "
                    "project. Stay within the tender rules: no contact with the evaluation "
                    "experts during the evaluation.",
                    "从开标到定标，项目的输赢取决于澄清答疑、述标表现以及评委私下听到的信息。"
                    "与支持者保持联系，当天答复澄清问题，并与将来负责交付的同事一起演练述标。"
                    "严格遵守招标规定：评标期间不得接触评标专家。",
                ),
            ),
            aid(
                "questions",
                ("Presentation questions to rehearse", "述标答疑演练问题"),
                (
                    [
                        "Why are you better than the other shortlisted vendors?",
                        "Which similar projects have you delivered, and can we talk to those "
                        "customers?",
                        "Who will be the project manager, and how much of their time is ours?",
                        "What happens if the project runs late, or the system fails after go-live?",
                        "How does your price compare over five years, maintenance included?",
                        "What do you need from us for the project to succeed?",
                    ],
                    [
                        "与其他入围供应商相比，你们的优势是什么？",
                        "你们做过哪些类似项目？能否与这些客户交流？",
                        "项目经理由谁担任？投入我们项目的时间有多少？",
                        "如果项目延期，或上线后系统出现故障，怎么办？",
                        "算上运维，五年总体拥有成本与其他厂商相比如何？",
                        "为确保项目成功，需要我们提供哪些支持？",
                    ],
                ),
            ),
        ],
        "collaborators": {
            "presales": (
                "Presentation and clarification answers rated well by the evaluators",
                "述标与澄清答疑获得评委好评",
            ),
            "solution_owner": (
                "Technical score at least on par with the strongest competitor",
                "技术得分不低于最强竞争对手",
            ),
            "delivery_owner": (
                "Implementation plan credible to the customer",
                "实施计划获得客户信任",
            ),
        },
    },
    {
        "code": "negotiate",
        "name": ("Negotiation", "商务谈判"),
        "customer_name": ("Contract review & negotiation", "合同审核，合作谈判"),
        "probability": 85,
        "milestones": [
            milestone(
                "award_received",
                ("Award notice received", "已收到中标通知书"),
                (
                    "The award notice or, where there was no tender, the customer's written "
                    "selection.",
                    "中标通知书；无招标时为客户的书面选定通知。",
                ),
                evidence="file",
            ),
            milestone(
                "terms_approved",
                ("Price and terms approved (ATC)", "价格与条款已审批（ATC）"),
                (
                    "Deals above the ATC threshold need the gate approved; smaller deals need the "
                    "pricing approval the sales policy asks for.",
                    "超过ATC门槛的项目须通过合同评审；小项目须按销售政策完成价格审批。",
                ),
            ),
            milestone(
                "contract_signed",
                ("Contract signed by both parties", "双方已签署合同"),
                (
                    "Upload the contract signed and sealed by both parties: this milestone is "
                    "what wins the deal.",
                    "上传双方签字盖章的合同：以此作为赢单依据。",
                ),
                evidence="file",
                proves_contract=True,
            ),
        ],
        "tasks": [
            task(
                (
                    "Agree the negotiation range with the sales manager and finance",
                    "与销售经理和财务确定谈判底线",
                ),
            ),
            task(
                (
                    "Go through the contract with the customer's procurement and legal teams",
                    "与客户采购和法务逐条审核合同",
                ),
            ),
            task(
                (
                    "Request ATC with the paper process recorded",
                    "记录合同审批流程后提交合同评审（ATC）",
                ),
            ),
            task(
                (
                    "Collect the contract signed and sealed by both parties",
                    "取回双方签字盖章的合同",
                ),
            ),
        ],
        "aids": [
            aid(
                "guidance",
                ("Negotiation: trade, don't give", "谈判原则：有取有予"),
                (
                    "Before the first meeting, agree the walk-away price and the concessions you "
                    "may trade with the sales manager and finance. Every concession buys "
                    "something in return: a faster signature, better payment terms, a reference, "
                    "a larger scope. Never lower the price in the last meeting without asking for "
                    "something back, and put everything agreed into the minutes the same day.",
                    "首次谈判前，先与销售经理和财务确定底价和可交换的让步条件。每一次让步都要换回对等的回报："
                    "更快签约、更好的付款条件、同意作为样板客户或扩大采购范围。最后一轮谈判中不要无条件降价，"
                    "当天把所有达成的条款写入会议纪要。",
                ),
            ),
            aid(
                "template",
                ("Contract review checklist", "合同审核清单"),
                (
                    [
                        "Scope and deliverables match the confirmed solution and the bid",
                        "Acceptance criteria and procedure are measurable",
                        "Payment milestones, e.g. 30 % on signing, 60 % on acceptance, 10 % "
                        "after the warranty",
                        "Warranty period and service levels",
                        "Liability cap and penalties for delay",
                        "Intellectual property and source code",
                        "Data security and confidentiality obligations",
                        "Governing law and dispute resolution",
                    ],
                    [
                        "范围与交付物与确认的方案及投标文件一致",
                        "验收标准与流程可量化",
                        "付款节点，例如签约付30%、验收付60%、质保期满付10%",
                        "质保期与服务水平",
                        "责任上限与延期违约金",
                        "知识产权与源代码归属",
                        "数据安全与保密义务",
                        "适用法律与争议解决方式",
                    ],
                ),
            ),
        ],
        "collaborators": {
            "finance": ("Price and terms within policy", "价格与条款符合公司政策"),
            "delivery_owner": (
                "Scope, acceptance criteria and schedule in the contract are deliverable",
                "合同中的范围、验收标准与进度可交付",
            ),
            "solution_owner": (
                "Technical appendix matches the confirmed solution",
                "技术附件与确认的方案一致",
            ),
        },
    },
    {
        "code": "won",
        "name": ("Contract signed", "签约成交"),
        "customer_name": ("Agreed and signed", "双方商定，签约成交"),
        "probability": 100,
        "is_won": True,
        # Terminal: nothing to prove before leaving, so its milestones are optional.
        "milestones": [
            milestone(
                "handover_held",
                ("Delivery handover meeting held", "已召开交付交接会"),
                (
                    "Sales, the delivery owner and the customer's project leader agreed the "
                    "scope, the promises made and the kickoff date.",
                    "销售、交付负责人与客户项目负责人已确认范围、承诺事项和启动日期。",
                ),
                evidence="activity",
                required=False,
            ),
            milestone(
                "advance_payment_received",
                ("Advance payment received", "已收到预付款"),
                (
                    "The first payment under the contract has arrived.",
                    "合同约定的首笔款项已到账。",
                ),
                evidence="note",
                required=False,
            ),
        ],
        "tasks": [
            task(
                (
                    "Hand the deal over to delivery: scope, contacts, promises",
                    "向交付团队交接：范围、联系人与承诺事项",
                ),
            ),
            task(
                (
                    "Thank the decision makers and confirm the kickoff date",
                    "感谢客户决策人并确认项目启动时间",
                ),
            ),
            task(
                (
                    "Record why we won",
                    "记录赢单原因",
                ),
            ),
        ],
        "aids": [
            aid(
                "template",
                ("Delivery handover note", "交付交接单"),
                (
                    [
                        "Contract scope, deliverables and acceptance criteria",
                        "Promises made during the sale that are not in the contract",
                        "The customer's project team: names, roles, attitude towards us",
                        "Risks and sensitive points",
                        "Payment milestones, and who at the customer approves payments",
                        "Agreed kickoff date",
                    ],
                    [
                        "合同范围、交付物与验收标准",
                        "销售过程中做出但未写入合同的承诺",
                        "客户项目组：姓名、职责、对我方的态度",
                        "风险与敏感事项",
                        "付款节点及客户方付款审批人",
                        "约定的项目启动日期",
                    ],
                ),
            ),
            aid(
                "guidance",
                ("Win review", "赢单复盘"),
                (
                    "Within two weeks of signing, spend half an hour with the account team on why "
                    "we won: which milestones mattered, what the champion did, where the "
                    "competitors fell short. Record it on the opportunity: it is the best material "
                    "for the next rep in the same industry.",
                    "签约后两周内，与客户团队用半小时复盘赢单原因：哪些里程碑起了关键作用，"
                    "支持者做了什么，竞争对手输在哪里。把复盘结论记录在商机中，"
                    "这是同行业下一位销售最好的参考资料。",
                ),
            ),
        ],
        "collaborators": {
            "delivery_owner": (
                "Handover complete and kickoff scheduled",
                "完成交接并确定启动时间",
            ),
            "finance": (
                "Invoicing and payment schedule set up",
                "开票与回款计划已建立",
            ),
        },
    },
]

# The review gates of DESIGN.md §1.3. The amounts (CNY) and tiers are defaults only: admins edit
# them per process in the admin (Gate rules), e.g. to lower ATB for tier A accounts or to require
# a gate for every deal by clearing the amount. Tiers [] means every tier.
SOLUTION_GATES = [
    {
        "kind": "ATI",
        "leaving_stage": "qualify",
        "min_amount": Decimal("500000"),
        "tiers": [],
        "required_facts": ["identified_pain", "economic_buyer"],
    },
    {
        "kind": "ATB",
        "leaving_stage": "confirm",
        "min_amount": Decimal("1000000"),
        "tiers": [],
        "required_facts": ["decision_criteria", "decision_process", "champion"],
    },
    {
        "kind": "ATC",
        "leaving_stage": "negotiate",
        "min_amount": Decimal("1000000"),
        "tiers": [],
        "required_facts": ["paper_process"],
    },
]

STANDARD_PROCESS = {
    "code": "standard",
    "name": ("Standard product (4 stages)", "标准产品（四阶段）"),
    "description": (
        "For small standard-product deals sold from the price list: four short stages and no "
        "review gates.",
        "适用于按价目表销售的小额标准产品：四个简短阶段，无评审关口。",
    ),
}

STANDARD_STAGES = [
    {
        "code": "qualify",
        "name": ("Qualify", "需求确认"),
        "customer_name": ("Need identified", "提出采购需求"),
        "probability": 20,
        "milestones": [
            milestone(
                "need_and_budget_confirmed",
                ("Need and budget confirmed", "需求与预算已确认"),
                (
                    "Products, quantities, delivery date and the budget for the purchase are "
                    "known.",
                    "已明确产品、数量、交货期及采购预算。",
                ),
                evidence="note",
            ),
        ],
        "tasks": [
            task(("Confirm products, quantities and delivery date", "确认产品、数量与交货期")),
            task(
                ("Check a new customer's credit", "核查新客户的信用状况"),
                (
                    "Before the first quote to a customer we have not sold to.",
                    "首次向新客户报价前完成。",
                ),
            ),
        ],
        "aids": [
            aid(
                "questions",
                ("Quick qualification questions", "快速确认问题"),
                (
                    [
                        "Which products and quantities does the customer need?",
                        "When and where must the goods be delivered?",
                        "Is the purchase budgeted, and who places the order?",
                        "Is the customer new to us? Then check their credit before quoting.",
                    ],
                    [
                        "客户需要哪些产品？数量多少？",
                        "要求何时交货、送到何地？",
                        "采购是否已有预算？由谁下单？",
                        "是否为新客户？如是，报价前先核查信用。",
                    ],
                ),
            ),
        ],
    },
    {
        "code": "propose",
        "name": ("Quote", "报价"),
        "customer_name": ("Comparing offers", "比价选型"),
        "probability": 50,
        "milestones": [
            milestone(
                "quote_sent",
                ("Quote sent", "已发出报价单"),
                (
                    "The quote as sent to the customer.",
                    "上传发给客户的报价单。",
                ),
                evidence="file",
            ),
            milestone(
                "quote_discussed",
                ("Quote discussed with the buyer", "已与采购人员沟通报价"),
                (
                    "A call or meeting with the buyer about the quote is logged.",
                    "已记录与采购人员就报价进行的电话或会面。",
                ),
                evidence="activity",
                required=False,
            ),
        ],
        "tasks": [
            task(("Prepare the quote from the price list", "按价目表编制报价单")),
            task(("Follow up within three working days", "三个工作日内跟进报价")),
        ],
        "aids": [
            aid(
                "template",
                ("Quote", "报价单"),
                (
                    "Use the standard quote form: products and quantities from the price list, "
                    "any discount, delivery date, payment terms and a validity of 30 days. "
                    "Discounts beyond your own authority need the sales manager's approval before "
                    "the quote is sent.",
                    "使用标准报价单：按价目表填写产品与数量、折扣（如有）、交货期、付款条件，"
                    "报价有效期30天。超出本人权限的折扣须在发出报价前经销售经理批准。",
                ),
            ),
        ],
    },
    {
        "code": "negotiate",
        "name": ("Negotiation", "商务谈判"),
        "customer_name": ("Order approval", "订单审批"),
        "probability": 80,
        "milestones": [
            milestone(
                "contract_signed",
                ("Contract or purchase order signed", "合同或采购订单已签署"),
                (
                    "Upload the signed contract or the customer's purchase order: this milestone "
                    "is what wins the deal.",
                    "上传已签署的合同或客户采购订单：以此作为赢单依据。",
                ),
                evidence="file",
                proves_contract=True,
            ),
            milestone(
                "discount_approved",
                ("Discount beyond the price list approved", "超出价目表的折扣已获批准"),
                (
                    "Needed only when the agreed price is below the rep's discount authority.",
                    "仅当成交价格超出销售本人折扣权限时需要。",
                ),
                evidence="note",
                required=False,
            ),
        ],
        "tasks": [
            task(("Agree delivery and payment terms", "确定交货与付款条款")),
            task(
                (
                    "Collect the signed contract or purchase order",
                    "取回已签署的合同或采购订单",
                )
            ),
        ],
        "aids": [
            aid(
                "guidance",
                ("Discounts and payment terms", "折扣与付款条件"),
                (
                    "Stay within the discount authority the company has set, and record who "
                    "approved any discount beyond your own. Payment terms longer than usual need "
                    "finance's approval before you agree them with the customer.",
                    "在公司规定的折扣权限内报价，超出本人权限的折扣须记录审批人。"
                    "付款账期超出常规时，须先经财务批准再与客户确认。",
                ),
            ),
        ],
        "collaborators": {
            "finance": (
                "Discounts and payment terms within policy",
                "折扣与付款条件符合公司政策",
            ),
        },
    },
    {
        "code": "won",
        "name": ("Order won", "赢单成交"),
        "customer_name": ("Order placed", "下单采购"),
        "probability": 100,
        "is_won": True,
        "milestones": [
            milestone(
                "delivery_scheduled",
                ("Delivery scheduled", "已安排发货"),
                (
                    "Order management confirmed the delivery date to the customer.",
                    "订单管理部门已向客户确认交货日期。",
                ),
                evidence="note",
                required=False,
            ),
        ],
        "tasks": [
            task(("Pass the order to order management", "将订单转交订单管理部门")),
            task(("Ask about the next purchase", "了解客户后续采购需求")),
        ],
        "aids": [
            aid(
                "guidance",
                ("After the order", "下单之后"),
                (
                    "Pass the signed contract or purchase order to order management the same day, "
                    "confirm the delivery date with the customer, and ask about the next "
                    "purchase: consumables, spare parts or a larger order next year.",
                    "签署的合同或订单当天转交订单管理部门，与客户确认交货日期，"
                    "并了解后续采购需求：耗材、备件或明年更大的订单。",
                ),
            ),
        ],
    },
]

PROCESSES = [
    (SOLUTION_PROCESS, SOLUTION_STAGES, SOLUTION_GATES, True),
    (STANDARD_PROCESS, STANDARD_STAGES, [], False),
]


def bilingual(field, pair):
    """("text", "文本") -> {"field_en": "text", "field_zh": "文本"}; a list is one line an item."""
    english, chinese = ("\n".join(text) if isinstance(text, list) else text for text in pair)
    return {f"{field}_en": english, f"{field}_zh": chinese}


def seed_processes(apps, schema_editor):
    SalesProcess = apps.get_model("opportunities", "SalesProcess")
    Stage = apps.get_model("opportunities", "Stage")
    Milestone = apps.get_model("opportunities", "Milestone")
    StageTask = apps.get_model("opportunities", "StageTask")
    StageAid = apps.get_model("opportunities", "StageAid")
    StageCollaborator = apps.get_model("opportunities", "StageCollaborator")
    GateRule = apps.get_model("opportunities", "GateRule")

    for process_data, stages_data, gates_data, is_default in PROCESSES:
        process, created = SalesProcess.objects.get_or_create(
            code=process_data["code"],
            defaults={
                **bilingual("name", process_data["name"]),
                **bilingual("description", process_data["description"]),
                # Only one process may be the default (one_default_sales_process).
                "is_default": is_default
                and not SalesProcess.objects.filter(is_default=True).exists(),
            },
        )
        if not created:
            continue  # the company's admins own it now; see the module docstring

        stages = {}
        for order, data in enumerate(stages_data, start=1):
            stage = Stage.objects.create(
                process=process,
                code=data["code"],
                order=order,
                **bilingual("name", data["name"]),
                **bilingual("customer_name", data["customer_name"]),
                probability=data["probability"],
                customer_probability=data["probability"],
                is_won=data.get("is_won", False),
            )
            stages[stage.code] = stage
            Milestone.objects.bulk_create(
                Milestone(
                    stage=stage,
                    code=item["code"],
                    order=10 * position,
                    **bilingual("name", item["name"]),
                    **bilingual("description", item["description"]),
                    is_required=item["is_required"],
                    evidence_type=item["evidence_type"],
                    proves_contract=item["proves_contract"],
                )
                for position, item in enumerate(data["milestones"], start=1)
            )
            StageTask.objects.bulk_create(
                StageTask(
                    stage=stage,
                    order=10 * position,
                    **bilingual("name", item["name"]),
                    **bilingual("description", item["description"]),
                )
                for position, item in enumerate(data["tasks"], start=1)
            )
            StageAid.objects.bulk_create(
                StageAid(
                    stage=stage,
                    kind=item["kind"],
                    industry=item["industry"],
                    order=10 * position,
                    **bilingual("title", item["title"]),
                    **bilingual("body", item["body"]),
                )
                for position, item in enumerate(data["aids"], start=1)
            )
            StageCollaborator.objects.bulk_create(
                StageCollaborator(stage=stage, role=role, **bilingual("assessed_on", assessed_on))
                for role, assessed_on in data.get("collaborators", {}).items()
            )

        GateRule.objects.bulk_create(
            GateRule(
                process=process,
                kind=gate["kind"],
                leaving_stage=stages[gate["leaving_stage"]],
                min_amount=gate["min_amount"],
                tiers=gate["tiers"],
                required_facts=gate["required_facts"],
            )
            for gate in gates_data
        )


def remove_unused_processes(apps, schema_editor):
    SalesProcess = apps.get_model("opportunities", "SalesProcess")
    for process_data, *_ in PROCESSES:
        process = SalesProcess.objects.filter(code=process_data["code"]).first()
        if process is None:
            continue
        # A process that opportunities use raises ProtectedError and stays, with everything
        # they refer to; an unused one goes with its stages, milestones, tasks, aids and gates.
        with contextlib.suppress(ProtectedError):
            process.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed_processes, remove_unused_processes),
    ]
