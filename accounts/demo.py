# ruff: noqa: RUF001 (the Chinese demo text uses Chinese punctuation)
"""Demo customers for `manage.py seed_demo`: a few hundred Chinese B2B accounts spread over the
demo sales teams, with owner assessments, decision chains and a handful of tier overrides.

The whole population is planned first from the random generator alone (names, facts, contacts),
then only the accounts whose name is not taken yet are written. Planning never looks at the
database beyond the organisation, so the same seed always plans the same accounts, and a
second run finds every name taken and writes nothing.

Accounts, overrides and account teams go through accounts.services; assessments and contacts
are validated row by row and bulk-created, then tiers are recomputed once (see seed_accounts).
One transaction around the whole seeding keeps SQLite fast: about 5 s for 320 accounts.

Tiering: with no won opportunities yet, contribution and continuity score zero, so the default
policy (A from 70) cannot compute tier A: the best possible score is 60. The planned
"strategic" cohort is therefore built to score 50–60 (computed B) and needs only modest won
revenue to reach A once deals are seeded; until then tier A comes from the manager overrides.

Account plans (seed_account_plans): each strategic (tier A) demo account without a plan for the
current year gets one, written through accounts.services the way its people would write it: the
owner sets objectives, goals and the customer's roadmap, the account team and the region's
manager take their positions on the wish list, and the manager an escalation went to decides
one. The plan's existence is the idempotency check: a second run writes nothing, a run in a new
year starts that year's plans.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from salesops.choices import Role, TeamKind
from salesops.models import Team, User

from . import selectors, services
from .choices import (
    AccountSize,
    AccountStatus,
    AccountTeamRole,
    BidDecision,
    BidPosition,
    Criterion,
    Industry,
    PlanGoalKind,
    Tier,
    WishSide,
)
from .models import Account, AccountAssessment, Contact, TieringPolicy
from .tiering import Assessment, TieringFacts, compute_tiering

DEFAULT_ACCOUNT_COUNT = 320
# Planned cohorts, by share of the accounts (the rest is potential, tier C).
STRATEGIC_SHARE = 0.12  # computed score 50–60: tier A once won revenue exists
KEY_SHARE = 0.30  # computed score 40–50: tier B
COHORT_SCORES = {"strategic": (50, 60), "key": (40, 50), "potential": (0, 40)}
SUBSIDIARY_SHARE = 0.10
SUBSIDIARIES_PER_GROUP = 4

# Sales team -> its territory: (city, pinyin for e-mail domains, telephone area code).
TERRITORIES = {
    "Shanghai Enterprise": [("上海", "shanghai", "21")],
    "Jiangsu & Zhejiang": [
        ("南京", "nanjing", "25"),
        ("苏州", "suzhou", "512"),
        ("无锡", "wuxi", "510"),
        ("常州", "changzhou", "519"),
        ("杭州", "hangzhou", "571"),
        ("宁波", "ningbo", "574"),
        ("温州", "wenzhou", "577"),
        ("嘉兴", "jiaxing", "573"),
    ],
    "Anhui & Fujian": [
        ("合肥", "hefei", "551"),
        ("芜湖", "wuhu", "553"),
        ("福州", "fuzhou", "591"),
        ("厦门", "xiamen", "592"),
        ("泉州", "quanzhou", "595"),
    ],
    "Beijing Enterprise": [("北京", "beijing", "10")],
    "Tianjin & Hebei": [
        ("天津", "tianjin", "22"),
        ("石家庄", "shijiazhuang", "311"),
        ("唐山", "tangshan", "315"),
        ("保定", "baoding", "312"),
        ("廊坊", "langfang", "316"),
    ],
    "Guangzhou Enterprise": [
        ("广州", "guangzhou", "20"),
        ("佛山", "foshan", "757"),
        ("东莞", "dongguan", "769"),
        ("珠海", "zhuhai", "756"),
    ],
    "Shenzhen Technology": [("深圳", "shenzhen", "755")],
}

BRAND_SYLLABLES = [
    ("华", "hua"),
    ("信", "xin"),
    ("恒", "heng"),
    ("瑞", "rui"),
    ("宏", "hong"),
    ("远", "yuan"),
    ("天", "tian"),
    ("海", "hai"),
    ("博", "bo"),
    ("泰", "tai"),
    ("安", "an"),
    ("达", "da"),
    ("鑫", "xin"),
    ("盛", "sheng"),
    ("嘉", "jia"),
    ("德", "de"),
    ("正", "zheng"),
    ("通", "tong"),
    ("明", "ming"),
    ("金", "jin"),
    ("隆", "long"),
    ("兴", "xing"),
    ("昌", "chang"),
    ("汇", "hui"),
    ("丰", "feng"),
    ("联", "lian"),
    ("创", "chuang"),
    ("卓", "zhuo"),
    ("永", "yong"),
    ("辰", "chen"),
    ("润", "run"),
    ("和", "he"),
    ("中", "zhong"),
    ("新", "xin"),
    ("凯", "kai"),
    ("越", "yue"),
    ("立", "li"),
    ("腾", "teng"),
    ("诚", "cheng"),
    ("东", "dong"),
]

# Industry weights: manufacturing and banking lead, as in the company's customer base.
INDUSTRY_WEIGHTS = {
    Industry.MANUFACTURING: 26,
    Industry.BANKING: 16,
    Industry.TECHNOLOGY: 7,
    Industry.GOVERNMENT: 7,
    Industry.ENERGY: 6,
    Industry.HEALTHCARE: 6,
    Industry.RETAIL: 6,
    Industry.INSURANCE: 5,
    Industry.EDUCATION: 5,
    Industry.LOGISTICS: 5,
    Industry.TELECOM: 4,
    Industry.REAL_ESTATE: 4,
    Industry.MEDIA: 2,
    Industry.OTHER: 1,
}
# Name endings after "<city><brand>".
INDUSTRY_SUFFIXES = {
    Industry.MANUFACTURING: [
        "精密制造有限公司",
        "机械股份有限公司",
        "汽车零部件有限公司",
        "电子科技有限公司",
        "新材料股份有限公司",
        "装备制造有限公司",
        "化工有限公司",
    ],
    Industry.BANKING: ["银行", "银行股份有限公司", "农村商业银行", "村镇银行"],
    Industry.INSURANCE: ["人寿保险股份有限公司", "财产保险股份有限公司", "保险经纪有限公司"],
    Industry.TELECOM: ["通信技术有限公司", "信息通信股份有限公司", "网络通信有限公司"],
    Industry.ENERGY: ["能源集团有限公司", "电力有限公司", "燃气股份有限公司", "新能源有限公司"],
    Industry.HEALTHCARE: ["医院", "医疗集团有限公司", "医药股份有限公司", "生物医药有限公司"],
    Industry.EDUCATION: ["职业技术学院", "学院", "教育科技有限公司"],
    Industry.RETAIL: ["商贸有限公司", "百货股份有限公司", "连锁超市有限公司", "电子商务有限公司"],
    Industry.TECHNOLOGY: [
        "信息技术有限公司",
        "软件股份有限公司",
        "网络科技有限公司",
        "数据科技有限公司",
    ],
    Industry.LOGISTICS: [
        "物流有限公司",
        "供应链管理有限公司",
        "港务集团有限公司",
        "国际货运代理有限公司",
    ],
    Industry.MEDIA: ["传媒集团有限公司", "文化传播有限公司"],
    Industry.REAL_ESTATE: ["置业有限公司", "建设集团有限公司", "建工集团有限公司"],
    Industry.OTHER: ["实业有限公司", "投资控股有限公司"],
}
# Government customers are agencies of a city, without a brand.
GOVERNMENT_AGENCIES = [
    "大数据管理局",
    "政务服务管理办公室",
    "税务局",
    "公安局",
    "人力资源和社会保障局",
    "住房公积金管理中心",
    "交通运输局",
    "市场监督管理局",
    "生态环境局",
    "医疗保障局",
]
# Group headquarters and the names of their subsidiaries: (industry, group name, subsidiary).
GROUP_PATTERNS = [
    (Industry.MANUFACTURING, "{brand}集团有限公司", "{city}{brand}精密制造有限公司"),
    (Industry.MANUFACTURING, "{brand}控股集团股份有限公司", "{city}{brand}装备制造有限公司"),
    (Industry.BANKING, "{brand}银行股份有限公司", "{brand}银行{city}分行"),
    (Industry.INSURANCE, "{brand}保险集团股份有限公司", "{brand}人寿保险{city}分公司"),
    (Industry.ENERGY, "{brand}能源集团有限公司", "{city}{brand}电力有限公司"),
    (Industry.TECHNOLOGY, "{brand}科技集团股份有限公司", "{city}{brand}信息技术有限公司"),
    (Industry.LOGISTICS, "{brand}物流集团有限公司", "{city}{brand}供应链管理有限公司"),
    (Industry.REAL_ESTATE, "{brand}建设集团有限公司", "{city}{brand}置业有限公司"),
]

# Typical yearly budget in our category by size (median, in yuan); budgets are log-normal.
SIZE_BUDGET_MEDIAN = {
    AccountSize.SMALL: 300_000,
    AccountSize.MEDIUM: 1_500_000,
    AccountSize.LARGE: 5_000_000,
    AccountSize.ENTERPRISE: 12_000_000,
}
SIZE_EMPLOYEES = {
    AccountSize.SMALL: (20, 99),
    AccountSize.MEDIUM: (100, 999),
    AccountSize.LARGE: (1_000, 9_999),
    AccountSize.ENTERPRISE: (10_000, 120_000),
}
COHORT_SIZES = {
    "strategic": {AccountSize.ENTERPRISE: 6, AccountSize.LARGE: 4},
    "key": {AccountSize.ENTERPRISE: 2, AccountSize.LARGE: 5, AccountSize.MEDIUM: 3},
    "potential": {AccountSize.LARGE: 2, AccountSize.MEDIUM: 5, AccountSize.SMALL: 4},
}
COHORT_STATUSES = {
    "strategic": {AccountStatus.CUSTOMER: 9, AccountStatus.PROSPECT: 1},
    "key": {AccountStatus.CUSTOMER: 12, AccountStatus.PROSPECT: 7, AccountStatus.DORMANT: 1},
    "potential": {
        AccountStatus.PROSPECT: 55,
        AccountStatus.CUSTOMER: 30,
        AccountStatus.DORMANT: 11,
        AccountStatus.CLOSED: 4,
    },
}
# Owner assessments, as (low, high) score ranges; None: the owner has not assessed it yet.
COHORT_ASSESSMENTS = {
    "strategic": {"potential": (0.3, 80, 100), "winnability": (1, 70, 95), "demo": (1, 70, 100)},
    "key": {"potential": (0.4, 55, 90), "winnability": (1, 55, 90), "demo": (0.9, 45, 85)},
    "potential": {"potential": (0.15, 10, 60), "winnability": (0.6, 15, 70), "demo": (0.5, 5, 60)},
}
ASSESSMENT_NOTES = {
    Criterion.POTENTIAL: {
        "high": [
            "{year}年启动数字化转型三年规划，IT预算逐年增长。",
            "集团新建数据中心，{year}年预算已获董事会批准。",
            "Board approved a multi-year core-system replacement starting {year}.",
        ],
        "mid": [
            "预算稳定，每年有一到两个新项目。",
            "{year}年计划扩容生产系统，规模中等。",
            "Steady yearly spend; one mid-sized upgrade planned for {year}.",
        ],
        "low": [
            "预算有限，以维保续费为主。",
            "业务收缩，{year}年暂无新增IT投入。",
            "Small IT team; buys only renewals this year.",
        ],
    },
    Criterion.WINNABILITY: {
        "high": [
            "我方是核心供应商，CIO认可我们的方案。",
            "已完成技术交流和POC，客户倾向我方。",
            "Incumbent on the core platform; the CIO is our champion.",
        ],
        "mid": [
            "与两家竞品同台竞争，技术评分接近。",
            "关系一般，需要在采购部门多做工作。",
            "Shortlisted with two competitors; price will decide.",
        ],
        "low": [
            "竞品深度绑定，我方尚未进入短名单。",
            "尚未接触到决策层。",
            "A competitor runs their whole stack; we have no sponsor yet.",
        ],
    },
    Criterion.DEMONSTRATION: {
        "high": [
            "行业头部客户，可作为标杆案例。",
            "省内同行都在看他们的选型结果。",
            "Reference customer for the whole industry in the region.",
        ],
        "mid": [
            "区域内有一定影响力。",
            "可作为细分行业的参考案例。",
            "Known in their segment; a useful local reference.",
        ],
        "low": [
            "品牌影响有限，不宜对外宣传。",
            "客户不同意公开案例。",
            "Low profile; will not act as a public reference.",
        ],
    },
}
# Manager overrides: (from cohort, to tier, reason). Tier A comes only from here until won
# opportunities exist (see the module docstring).
OVERRIDES = [
    ("strategic", Tier.A, "已签三年框架协议，区域评审会列为战略客户。"),
    ("strategic", Tier.A, "集团总部统一采购，覆盖全国分支，按战略客户经营。"),
    ("strategic", Tier.A, "Flagship reference in the industry; regional review ranks it A."),
    ("key", Tier.C, "客户重组，预算冻结一年，本年度降级经营。"),
    ("potential", Tier.B, "New CIO is a former customer of ours: invest ahead of the score."),
]

SURNAMES = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("沈", "shen"),
    ("叶", "ye"),
]
GIVEN_NAMES = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("强", "qiang"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("军", "jun"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("婷", "ting"),
    ("建国", "jianguo"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
    ("立新", "lixin"),
    ("晓东", "xiaodong"),
    ("文博", "wenbo"),
    ("雪梅", "xuemei"),
    ("国华", "guohua"),
    ("浩然", "haoran"),
    ("思远", "siyuan"),
    ("嘉怡", "jiayi"),
    ("俊杰", "junjie"),
    ("丽华", "lihua"),
    ("振宇", "zhenyu"),
]


@dataclass(frozen=True)
class Position:
    """One seat in a customer's organisation chart; `boss` is another seat's key."""

    key: str
    title: str
    department: str
    boss: str | None
    weight: float  # how likely we know this person (the top two are always known)


def _chart(head: str, head_office: str, rows: list[tuple[str, str, str, str, float]]):
    return [
        Position("chair", rows[0][1], rows[0][2], None, rows[0][4]),
        Position("head", head, head_office, "chair", 1.0),
        *(
            Position(key, title, department, boss, weight)
            for key, title, department, boss, weight in rows[1:]
        ),
    ]


# Decision chains: the board or party secretary, the head, the CIO line (IT managers) and the
# finance line (procurement), plus a business owner.
CORPORATE_CHART = _chart(
    "总经理",
    "总经理办公室",
    [
        ("chair", "董事长", "董事会", "", 0.35),
        ("cio", "CIO 信息中心主任", "信息中心", "head", 1.0),
        ("cfo", "财务总监", "财务部", "head", 0.6),
        ("ops", "IT 运维主管", "信息中心", "cio", 0.9),
        ("security", "信息安全经理", "信息中心", "cio", 0.5),
        ("apps", "应用开发经理", "信息中心", "cio", 0.5),
        ("procurement", "采购部经理", "采购部", "cfo", 0.8),
        ("buyer", "采购专员", "采购部", "procurement", 0.3),
        ("business", "生产运营总监", "生产运营部", "head", 0.4),
    ],
)
FINANCIAL_CHART_ROWS = [
    ("chair", "董事长", "董事会", "", 0.35),
    ("cio", "金融科技部总经理", "金融科技部", "head", 1.0),
    ("cfo", "计划财务部总经理", "计划财务部", "head", 0.6),
    ("ops", "数据中心主任", "金融科技部", "cio", 0.9),
    ("security", "信息安全处处长", "金融科技部", "cio", 0.5),
    ("apps", "应用开发处处长", "金融科技部", "cio", 0.5),
    ("procurement", "集中采购中心主任", "集中采购中心", "cfo", 0.8),
    ("buyer", "采购经理", "集中采购中心", "procurement", 0.3),
]
PUBLIC_CHART_ROWS = [
    ("chair", "党委书记", "党委办公室", "", 0.35),
    ("cio", "信息中心主任", "信息中心", "head", 1.0),
    ("cfo", "财务处处长", "财务处", "head", 0.6),
    ("ops", "网络运维科科长", "信息中心", "cio", 0.9),
    ("security", "网络安全负责人", "信息中心", "cio", 0.5),
    ("apps", "系统建设科科长", "信息中心", "cio", 0.5),
    ("procurement", "招标采购中心主任", "招标采购中心", "cfo", 0.8),
    ("buyer", "采购专员", "招标采购中心", "procurement", 0.3),
    ("business", "办公室主任", "办公室", "head", 0.4),
]
CHARTS = {
    Industry.BANKING: _chart(
        "行长",
        "行长室",
        [*FINANCIAL_CHART_ROWS, ("business", "零售银行部总经理", "零售银行部", "head", 0.4)],
    ),
    Industry.INSURANCE: _chart(
        "总裁",
        "总裁办公室",
        [*FINANCIAL_CHART_ROWS, ("business", "个人业务部总经理", "个人业务部", "head", 0.4)],
    ),
    Industry.GOVERNMENT: _chart("局长", "局长办公室", PUBLIC_CHART_ROWS),
    Industry.HEALTHCARE: _chart("院长", "院长办公室", PUBLIC_CHART_ROWS),
    Industry.EDUCATION: _chart("校长", "校长办公室", PUBLIC_CHART_ROWS),
}
CONTACT_NOTES = [
    "关注国产化替代与信创适配。",
    "Prefers short demos over slide decks.",
    "每季度参加一次我方客户交流会。",
    "Former colleague of our regional director.",
    "对价格敏感，重视服务响应时间。",
    "Reads every tender document personally.",
]


@dataclass
class ContactPlan:
    key: str
    name: str
    title: str
    department: str
    boss: str | None
    phone: str
    email: str
    is_active: bool = True
    notes: str = ""


@dataclass
class AccountPlan:
    name: str
    cohort: str
    team: Team
    owner: User
    city: str
    industry: str
    size: str
    employees: int
    annual_budget: Decimal | None
    status: str
    parent_name: str = ""
    assessments: dict[str, tuple[int, str]] = field(default_factory=dict)
    contacts: list[ContactPlan] = field(default_factory=list)
    score: Decimal = Decimal(0)


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _brand(rng: random.Random) -> tuple[str, str]:
    first, second = rng.sample(BRAND_SYLLABLES, 2)
    return first[0] + second[0], first[1] + second[1]


class _Namer:
    """Unique names (ignoring case, as the database does) and e-mail domains."""

    def __init__(self):
        self.names: set[str] = set()
        self.domains: set[str] = set()

    def claim(self, name: str) -> bool:
        if name.lower() in self.names:
            return False
        self.names.add(name.lower())
        return True

    def domain(self, base: str) -> str:
        candidate, number = base, 1
        while candidate in self.domains:
            number += 1
            candidate = f"{base}{number}"
        self.domains.add(candidate)
        return f"{candidate}.example.com"


def _company_name(rng, namer, industry, city) -> tuple[str, str]:
    """A unique name and the pinyin of its brand, e.g. ("苏州恒瑞精密制造有限公司", "hengrui")."""
    while True:
        if industry == Industry.GOVERNMENT:
            agency = rng.choice(GOVERNMENT_AGENCIES)
            name, brand_pinyin = f"{city}市{agency}", "gov"
        else:
            brand, brand_pinyin = _brand(rng)
            name = f"{city}{brand}{rng.choice(INDUSTRY_SUFFIXES[industry])}"
        if namer.claim(name):
            return name, brand_pinyin


def _facts(rng, cohort, size) -> tuple[Decimal | None, dict[str, int]]:
    """A budget (log-normal around the size's median, sometimes unknown) and owner scores."""
    budget = None
    if cohort != "potential" or rng.random() < 0.8:
        amount = rng.lognormvariate(0, 0.7) * SIZE_BUDGET_MEDIAN[size]
        budget = Decimal(max(10_000, round(amount, -4)))
    scores = {}
    for criterion, key in (
        (Criterion.POTENTIAL, "potential"),
        (Criterion.WINNABILITY, "winnability"),
        (Criterion.DEMONSTRATION, "demo"),
    ):
        chance, low, high = COHORT_ASSESSMENTS[cohort][key]
        if rng.random() < chance:
            scores[criterion] = rng.randint(low, high)
    return budget, scores


def _note(rng, criterion, score, today) -> str:
    level = "high" if score >= 70 else "mid" if score >= 40 else "low"
    return rng.choice(ASSESSMENT_NOTES[criterion][level]).format(year=today.year)


def _phone(rng, area_code: str) -> str:
    if rng.random() < 0.5:  # a mobile, e.g. "138 0013 8000"
        prefix = f"1{rng.choice('3589')}{rng.randint(0, 9)}"
        return f"{prefix} {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}"
    number = f"+86 {area_code} {rng.randint(5000, 8999)} {rng.randint(0, 9999):04d}"
    if rng.random() < 0.25:
        number += f" 转 {rng.randint(800, 8999)}"
    return number


def _contacts(rng, plan: AccountPlan, domain: str, area_code: str) -> list[ContactPlan]:
    """3–8 people along the account's chart; each reports to the nearest known boss."""
    chart = CHARTS.get(plan.industry, CORPORATE_CHART)
    by_key = {position.key: position for position in chart}
    wanted = {"strategic": (5, 8), "key": (4, 7), "potential": (3, 5)}[plan.cohort]
    extra = rng.randint(*wanted) - 2
    # Weighted sampling without replacement (a larger weight: more often known).
    optional = sorted(
        (position for position in chart if position.weight < 1),
        key=lambda position: rng.random() ** (1 / position.weight),
        reverse=True,
    )
    known = {"head", "cio"} | {position.key for position in optional[:extra]}
    used_names, used_mailboxes, contacts = set(), set(), []
    for position in chart:
        if position.key not in known:
            continue
        boss = position.boss
        while boss is not None and boss not in known:
            boss = by_key[boss].boss
        while True:
            surname, given = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
            if surname[0] + given[0] not in used_names:
                used_names.add(surname[0] + given[0])
                break
        mailbox, number = f"{given[1]}.{surname[1]}", 1
        while mailbox in used_mailboxes:
            number += 1
            mailbox = f"{given[1]}.{surname[1]}{number}"
        used_mailboxes.add(mailbox)
        contact = ContactPlan(
            key=position.key,
            name=surname[0] + given[0],
            title=position.title,
            department=position.department,
            boss=boss,
            phone=_phone(rng, area_code),
            email=f"{mailbox}@{domain}",
        )
        if rng.random() < 0.04:
            contact.is_active, contact.notes = False, "已离职，接任者待确认。"
        elif rng.random() < 0.2:
            contact.notes = rng.choice(CONTACT_NOTES)
        contacts.append(contact)
    return contacts


def plan_accounts(*, rng, today, count, teams: list[Team], reps: dict[int, list[User]]):
    """Every account to seed, decided by the generator alone (see the module docstring)."""
    policy = TieringPolicy()  # the default policy: the cohorts are designed against it
    strategic = round(count * STRATEGIC_SHARE)
    key = round(count * KEY_SHARE)
    subsidiaries = round(count * SUBSIDIARY_SHARE)
    groups = max(1, round(subsidiaries / SUBSIDIARIES_PER_GROUP)) if subsidiaries else 0
    # Group headquarters are strategic; the other cohorts fall at random.
    cohorts = ["strategic"] * (strategic - groups) + ["key"] * key
    cohorts += ["potential"] * (count - groups - len(cohorts))
    rng.shuffle(cohorts)
    cohorts = ["strategic"] * groups + cohorts
    namer = _Namer()
    group_patterns = rng.sample(GROUP_PATTERNS, min(groups, len(GROUP_PATTERNS)))
    # (headquarters plan, brand, brand pinyin, subsidiary name pattern)
    group_plans: list[tuple[AccountPlan, str, str, str]] = []
    plans = []
    for index, cohort in enumerate(cohorts):
        # Every team gets the same share of accounts, however many cities it covers.
        team = rng.choice(teams)
        city, city_pinyin, area_code = rng.choice(TERRITORIES[team.name])
        parent_name = ""
        if index < groups:
            industry, group_name, subsidiary_name = group_patterns[index % len(group_patterns)]
            while True:
                brand, brand_pinyin = _brand(rng)
                name = group_name.format(brand=brand)
                if namer.claim(name):
                    break
            domain = namer.domain(f"{brand_pinyin}group")
        elif index < groups + subsidiaries:
            parent, brand, brand_pinyin, subsidiary_name = group_plans[(index - groups) % groups]
            industry, parent_name = parent.industry, parent.name
            name = subsidiary_name.format(brand=brand, city=city)
            while not namer.claim(name):  # a second subsidiary in the same city
                team = rng.choice(teams)
                city, city_pinyin, area_code = rng.choice(TERRITORIES[team.name])
                name = subsidiary_name.format(brand=brand, city=city)
            domain = namer.domain(f"{brand_pinyin}-{city_pinyin}")
        else:
            industry = _weighted(rng, INDUSTRY_WEIGHTS)
            if team.name == "Shenzhen Technology" and rng.random() < 0.3:
                industry = Industry.TECHNOLOGY
            name, brand_pinyin = _company_name(rng, namer, industry, city)
            domain = namer.domain(f"{brand_pinyin}-{city_pinyin}")
        low, high = COHORT_SCORES[cohort]
        for _attempt in range(200):
            size = _weighted(rng, COHORT_SIZES[cohort])
            budget, scores = _facts(rng, cohort, size)
            facts = TieringFacts(
                annual_budget=budget,
                size=size,
                assessments={name: Assessment(score, "") for name, score in scores.items()},
            )
            score = compute_tiering(policy, facts).score
            if low <= score < high:
                break
        else:
            raise RuntimeError(f"No facts found for a {cohort} account in 200 tries.")
        plan = AccountPlan(
            name=name,
            cohort=cohort,
            team=team,
            owner=rng.choice(reps[team.pk]),
            city=city,
            industry=industry,
            size=size,
            employees=rng.randint(*SIZE_EMPLOYEES[size]),
            annual_budget=budget,
            status=_weighted(rng, COHORT_STATUSES[cohort]),
            parent_name=parent_name,
            assessments={
                name: (score, _note(rng, name, score, today)) for name, score in scores.items()
            },
            score=score,
        )
        if index < groups:
            group_plans.append((plan, brand, brand_pinyin, subsidiary_name))
        plan.contacts = _contacts(rng, plan, domain, area_code)
        plans.append(plan)
    return plans


def _organisation():
    teams = list(
        Team.objects.filter(kind=TeamKind.SALES, name__in=TERRITORIES)
        .select_related("manager")
        .order_by("name")
    )
    missing = set(TERRITORIES) - {team.name for team in teams}
    if missing:
        raise RuntimeError(f"Seed the organisation first; missing teams: {sorted(missing)}")
    reps: dict[int, list[User]] = {team.pk: [] for team in teams}
    for rep in User.objects.filter(role=Role.REP, is_active=True, team__in=teams).order_by(
        "username"
    ):
        reps[rep.team_id].append(rep)
    engineers = list(
        User.objects.filter(role=Role.PRESALES_ENGINEER, is_active=True)
        .select_related("team")
        .order_by("username")
    )
    if not all(reps.values()) or len(engineers) < 2:
        raise RuntimeError("Seed the organisation first: sales reps and presales engineers.")
    return teams, reps, engineers


@transaction.atomic
def seed_accounts(
    *, rng: random.Random, today: datetime.date, count: int = DEFAULT_ACCOUNT_COUNT
) -> dict:
    """Create the demo accounts that do not exist yet; returns what was created.

    Accounts are created one by one through account_create (permission, validation, tier
    history). Assessments and contacts, eight rows per account on average, are validated row
    by row with full_clean() and bulk-created, and tiers are recomputed once at the end: going
    through account_assess and contact_create for each row recomputes the tier and checks
    visibility every time and made the seeding three times slower.
    """
    teams, reps, engineers = _organisation()
    plans = plan_accounts(rng=rng, today=today, count=count, teams=teams, reps=reps)
    taken = {name.lower() for name in Account.objects.values_list("name", flat=True)}
    regions = {team.pk: Team.objects.get_parent(team) for team in teams}
    created: dict[str, Account] = {}
    # Groups first, so that their subsidiaries can point at them.
    for plan in sorted(plans, key=lambda plan: bool(plan.parent_name)):
        if plan.name.lower() in taken:
            continue
        parent = None
        if plan.parent_name:
            parent = created.get(plan.parent_name) or Account.objects.get(
                name__iexact=plan.parent_name
            )
        created[plan.name] = services.account_create(
            by=plan.owner,
            owner_team=plan.team,
            name=plan.name,
            industry=plan.industry,
            region=regions[plan.team.pk],
            location=plan.city,
            size=plan.size,
            employees=plan.employees,
            annual_budget=plan.annual_budget,
            parent=parent,
            owner=plan.owner,
            status=plan.status,
        )
    if not created:
        return {"accounts": 0, "contacts": 0, "tiers": dict.fromkeys(Tier.values, 0)}
    new_plans = [(created[plan.name], plan) for plan in plans if plan.name in created]
    _create_assessments(new_plans)
    _create_contacts(new_plans)
    ids = [account.pk for account in created.values()]
    services.tiering_recompute(account_ids=ids)
    created = {account.name: account for account in Account.objects.filter(pk__in=ids)}
    _override_tiers(plans, created)
    _form_account_teams(rng, created, engineers)
    tiers = dict.fromkeys(Tier.values, 0)
    for tier in Account.objects.filter(pk__in=ids).values_list("tier", flat=True):
        tiers[tier] += 1
    return {
        "accounts": len(created),
        "contacts": Contact.objects.filter(account__in=ids).count(),
        "tiers": tiers,
    }


def _create_assessments(new_plans: list[tuple[Account, AccountPlan]]) -> None:
    rows = []
    for account, plan in new_plans:
        for criterion, (score, note) in plan.assessments.items():
            assessment = AccountAssessment(
                account=account, criterion=criterion, score=score, note=note, assessed_by=plan.owner
            )
            # The account and its owner were written just now, in this transaction.
            assessment.full_clean(exclude=["account", "assessed_by"])
            rows.append(assessment)
    AccountAssessment.objects.bulk_create(rows)


def _create_contacts(new_plans: list[tuple[Account, AccountPlan]]) -> None:
    """One bulk insert per level of the reporting lines, so each boss has its key before its
    reports are validated (Contact.clean() checks same account and no loop)."""
    people: dict[tuple[int, str], Contact] = {}
    pending = [(account, contact) for account, plan in new_plans for contact in plan.contacts]
    while pending:
        ready = [
            (account, contact)
            for account, contact in pending
            if contact.boss is None or (account.pk, contact.boss) in people
        ]
        rows = []
        for account, contact in ready:
            row = Contact(
                account=account,
                name=contact.name,
                title=contact.title,
                department=contact.department,
                phone=contact.phone,
                email=contact.email,
                reports_to=people.get((account.pk, contact.boss)),
                is_active=contact.is_active,
                notes=contact.notes,
            )
            # Both foreign keys point at rows written just now, in this transaction.
            row.full_clean(exclude=["account", "reports_to"])
            rows.append(row)
        Contact.objects.bulk_create(rows)
        for (account, contact), row in zip(ready, rows, strict=True):
            people[(account.pk, contact.key)] = row
        pending = [
            (account, contact)
            for account, contact in pending
            if (account.pk, contact.key) not in people
        ]


def _override_tiers(plans: list[AccountPlan], created: dict[str, Account]) -> None:
    """A handful of manager overrides, on accounts created in this run."""
    for cohort, tier, reason in OVERRIDES:
        candidates = [
            plan
            for plan in plans
            if plan.cohort == cohort and plan.name in created and not plan.parent_name
        ]
        candidates = [plan for plan in candidates if created[plan.name].tier != tier]
        if not candidates:
            continue
        # The strongest candidates get promoted, a weak one demoted.
        candidates.sort(key=lambda plan: plan.score, reverse=tier != Tier.C)
        plan = candidates[0]
        created[plan.name] = services.account_override_tier(
            account=created[plan.name], by=plan.team.manager, tier=tier, reason=reason
        )


def seed_missing_account_teams(*, seed: str) -> int:
    """Strategic accounts that won revenue made strategic after they were created get their
    account team too. Idempotent: accounts with any team member are left alone."""
    _teams, _reps, engineers = _organisation()
    bare = (
        Account.objects.filter(tier=Tier.A, team_members__isnull=True, owner__isnull=False)
        .select_related("owner", "owner_team__manager")
        .order_by("pk")
    )
    accounts = {account.name: account for account in bare if account.owner_team.manager}
    _form_account_teams(random.Random(f"{seed}:account-teams"), accounts, engineers)
    return len(accounts)


def _form_account_teams(rng, created: dict[str, Account], engineers: list[User]) -> None:
    """Strategic accounts get their iron triangle: the owner, a solution owner from presales
    and a delivery owner from the other presales team."""
    for account in created.values():
        if account.tier != Tier.A:
            continue
        solution = rng.choice(engineers)
        delivery = rng.choice(
            [engineer for engineer in engineers if engineer.team_id != solution.team_id]
            or [engineer for engineer in engineers if engineer.pk != solution.pk]
        )
        manager = account.owner_team.manager
        for role, user in (
            (AccountTeamRole.ACCOUNT_OWNER, account.owner),
            (AccountTeamRole.SOLUTION_OWNER, solution),
            (AccountTeamRole.DELIVERY_OWNER, delivery),
        ):
            services.account_team_set(account=account, by=manager, role=role, user=user)


# Account plans of the strategic demo accounts -------------------------------------------------

# The customer's initiatives by industry, as (initiative, the wish-list item that targets it,
# our offering). The four slots follow ROADMAP_MONTHS.
PLAN_THEMES = {
    Industry.MANUFACTURING: [
        ("二号工厂智能化改造", "二号工厂 MES 升级", "MES Suite"),
        ("集团数据治理与数据中台建设", "集团数据中台一期", "Data Platform"),
        ("关键设备联网与预测性维护试点", "设备预测性维护平台", "IoT Platform"),
        ("海外工厂 ERP 推广", "海外工厂 ERP 集成实施", "ERP Integration"),
    ],
    Industry.BANKING: [
        ("核心系统分布式改造", "核心银行数据平台", "Data Platform"),
        ("信创替代三年规划", "数据中心信创云平台", "Cloud Infrastructure"),
        ("零售银行数字化营销", "零售客户画像与精准营销", "Analytics & BI"),
        ("两地三中心灾备建设", "同城灾备中心存储扩容", "Hyperconverged Storage"),
    ],
    Industry.INSURANCE: [
        ("车险智能理赔项目", "智能理赔平台", "AI Services"),
        ("新一代核心业务系统上线", "新核心系统数据迁移", "Data Platform"),
        ("客服中心升级", "全渠道智能客服中心", "Contact Center"),
        ("办公与业务系统信创替代", "信创私有云", "Cloud Infrastructure"),
    ],
    Industry.ENERGY: [
        ("新能源场站集中监控", "场站集控平台", "IoT Platform"),
        ("电力交易辅助决策", "电力交易数据分析平台", "Analytics & BI"),
        ("工控系统安全防护", "工控网络安全加固", "Cybersecurity Services"),
        ("集团私有云二期", "集团私有云扩容", "Cloud Infrastructure"),
    ],
    Industry.TECHNOLOGY: [
        ("研发云平台扩容", "研发测试云扩容", "Cloud Infrastructure"),
        ("数据安全合规", "数据分类分级与脱敏", "Cybersecurity Services"),
        ("客户运营数据平台", "统一客户数据平台", "Data Platform"),
        ("IT 运维外包", "7×24 运维托管服务", "Managed Services"),
    ],
    Industry.GOVERNMENT: [
        ("一网通办平台升级", "政务服务一网通办二期", "Digital Government"),
        ("城市大数据中心建设", "政务数据共享交换平台", "Data Platform"),
        ("部门业务系统上政务云", "业务系统上云迁移", "Cloud Infrastructure"),
        ("等保测评整改", "等保三级安全整改", "Cybersecurity Services"),
    ],
    Industry.HEALTHCARE: [
        ("电子病历五级评审", "电子病历系统升级改造", "Hospital Information Systems"),
        ("互联网医院建设", "互联网医院平台", "Digital Health"),
        ("临床科研数据中心", "临床科研数据平台", "Data Platform"),
        ("医保 DRG 支付改革", "DRG 智能审核系统", "Analytics & BI"),
    ],
    Industry.RETAIL: [
        ("全渠道会员体系", "全渠道会员中台", "Data Platform"),
        ("门店数字化", "智慧门店 IoT 改造", "IoT Platform"),
        ("供应链计划优化", "智能补货与需求预测", "Analytics & BI"),
        ("双十一大促保障", "大促弹性云资源", "Cloud Infrastructure"),
    ],
    Industry.EDUCATION: [
        ("智慧校园建设", "智慧校园统一平台", "Digital Campus"),
        ("校园网改造", "校园网与无线网络升级", "Network Infrastructure"),
        ("教学质量评估", "教学质量数据分析平台", "Analytics & BI"),
        ("网络安全攻防演练", "校园网络安全运营服务", "Cybersecurity Services"),
    ],
    Industry.LOGISTICS: [
        ("智慧仓储", "自动化仓储 WMS 升级", "Warehouse Management"),
        ("运输全程可视化", "车辆在途监控平台", "IoT Platform"),
        ("供应链数据中台", "供应链数据中台一期", "Data Platform"),
        ("码头作业系统信创改造", "码头作业系统信创迁移", "Cloud Infrastructure"),
    ],
    Industry.TELECOM: [
        ("5G 专网行业应用", "5G 专网边缘计算平台", "Edge Computing"),
        ("计费系统云化", "BSS 计费系统云化改造", "Cloud Infrastructure"),
        ("网络智能运维", "AIOps 智能运维平台", "Managed Services"),
        ("用户数据安全合规", "用户数据安全治理", "Cybersecurity Services"),
    ],
    Industry.REAL_ESTATE: [
        ("智慧工地", "智慧工地监管平台", "IoT Platform"),
        ("集团财务共享中心", "财务共享中心系统集成", "ERP Integration"),
        ("BIM 协同设计", "BIM 协同与图纸管理", "Digital Workplace"),
        ("物业服务数字化", "社区物业服务平台", "Digital Workplace"),
    ],
    Industry.MEDIA: [
        ("融媒体中心建设", "融媒体生产平台", "Cloud Infrastructure"),
        ("内容资产数字化", "媒资库存储扩容", "Hyperconverged Storage"),
        ("用户运营", "用户行为分析平台", "Analytics & BI"),
        ("版权保护", "数字版权监测服务", "Cybersecurity Services"),
    ],
}
GENERIC_PLAN_THEMES = [
    ("数字化转型规划", "企业数据平台一期", "Data Platform"),
    ("办公系统升级", "协同办公平台", "Digital Workplace"),
    ("IT 基础设施更新", "服务器与存储更新", "Hyperconverged Storage"),
    ("网络安全合规", "等保二级安全整改", "Cybersecurity Services"),
]
# (start, end) month of each initiative, counted from January of the plan year: 15 is March of
# the next year. The roadmap names the wish-list item of the slots in ROADMAP_LINKED.
ROADMAP_MONTHS = [(2, 6), (4, 10), (7, 12), (10, 15)]
ROADMAP_LINKED = {0, 1, 3}

# How far the two sides have got on a wish-list item.
AGREED, ESCALATED, DECIDED, WAITING = "agreed", "escalated", "decided", "waiting"
AGREED_NOTES = {
    WishSide.ACCOUNT_TEAM: [
        "客户CIO已确认预算，我方方案在技术交流中领先。",
        "POC 已通过，客户倾向我方，交付资源已预留。",
        "Budget approved by the customer's board; we run their current platform.",
    ],
    WishSide.REGION: [
        "毛利符合区域要求，同意投标。",
        "区域交付资源可以支撑，同意。",
        "Fits the regional plan and the margin floor: go.",
    ],
}
# (position, reason) of each side when they disagree.
DISAGREEMENTS = [
    {
        WishSide.ACCOUNT_TEAM: (BidPosition.BID, "战略客户的关键项目，不投将失去标杆地位。"),
        WishSide.REGION: (BidPosition.NO_BID, "毛利低于区域底线，且交付资源与其他项目冲突。"),
    },
    {
        WishSide.ACCOUNT_TEAM: (BidPosition.BID, "客户点名邀请我方参与，放弃会影响核心平台续约。"),
        WishSide.REGION: (BidPosition.NO_BID, "竞品已深度绑定，赢率低，建议把资源投到其他项目。"),
    },
    {
        WishSide.ACCOUNT_TEAM: (BidPosition.NO_BID, "需求与我方产品匹配度不高，定制开发风险大。"),
        WishSide.REGION: (BidPosition.BID, "区域今年需要在该行业突破，建议投标。"),
    },
]
ESCALATION_NOTES = {
    BidPosition.BID: "作为年度标杆项目投标，交付资源由公司统一调配。",
    BidPosition.NO_BID: "赢率和毛利都不达标，本次不投，保持客户关系。",
}
WAITING_NOTES = [
    "客户已发出需求征询函，建议投标，请区域确认。",
    "The customer invited us to the pre-tender talks; we propose to bid.",
]


@transaction.atomic
def seed_account_plans(*, today: datetime.date) -> dict:
    """A plan for `today.year` on every strategic demo account that has none; returns what was
    created. Each account draws from a generator of its own, so its plan does not depend on
    which other accounts were planned in the same run."""
    accounts = (
        Account.objects.filter(tier=Tier.A, owner_team__name__in=TERRITORIES)
        .exclude(plans__year=today.year)
        .select_related("owner", "owner_team__manager", "region__manager")
        .order_by("pk")
    )
    created = {"plans": 0, "wish_items": 0, "roadmap_items": 0}
    for account in accounts:
        rng = random.Random(f"{account.name}:{today.year}:plan")
        wish_items, roadmap_items = _seed_account_plan(rng, account, today.year)
        created["plans"] += 1
        created["wish_items"] += wish_items
        created["roadmap_items"] += roadmap_items
    return created


def _round_amount(amount: float) -> Decimal:
    return Decimal(max(10_000, round(amount, -4)))


def _seed_account_plan(rng: random.Random, account: Account, year: int) -> tuple[int, int]:
    """Objectives, two goals, the wish list in its typical states and the customer's roadmap.
    Returns the number of wish-list and roadmap items."""
    members = {member.role: member.user for member in account.team_members.select_related("user")}
    owner = account.owner or account.owner_team.manager
    solution_owner = members.get(AccountTeamRole.SOLUTION_OWNER, owner)
    region = selectors.account_region_team(account)
    region_manager = region.manager if region is not None else None
    if region_manager is not None and (
        not region_manager.is_active or region_manager in (owner, solution_owner)
    ):
        region_manager = None  # nobody to take the region's position: the items wait for it
    themes = PLAN_THEMES.get(account.industry, GENERIC_PLAN_THEMES)
    budget = float(account.annual_budget or SIZE_BUDGET_MEDIAN[account.size])

    plan = services.account_plan_create(
        account=account,
        by=owner,
        year=year,
        revenue_objective=_round_amount(budget * rng.uniform(0.35, 0.6)),
        gross_margin_objective_pct=Decimal(f"{rng.uniform(26, 38):.1f}"),
        notes=f"{year}年重点：守住现有平台，拓展{themes[2][2]}等新产品线；每季度与客户CIO复盘一次。",
    )

    # The wish list: one item agreed, one escalated and still open, one waiting for the
    # region; one more decided by the escalation manager when there is one to decide.
    states = [AGREED, ESCALATED, WAITING]
    if region_manager is not None and selectors.wish_item_escalation_manager(
        account=account, exclude_user_ids={region_manager.pk, solution_owner.pk}
    ):
        states.append(DECIDED)
    rng.shuffle(states)
    wish_items = {}
    if region is not None:  # the region decides on every item together with the account team
        for slot, state in enumerate(states):
            _initiative, title, offering = themes[slot]
            item = services.wish_item_create(
                plan=plan,
                by=owner,
                title=title,
                offering=offering,
                estimated_amount=_round_amount(budget * rng.uniform(0.08, 0.35)),
                expected_quarter=(ROADMAP_MONTHS[slot][0] - 1) // 3 + 1,
            )
            # The owner speaks for the account team on the easy items, the solution owner on the
            # contested ones.
            speaker = owner if state in (AGREED, WAITING) else solution_owner
            wish_items[slot] = _bring_to_state(
                rng, item, state, account_team=speaker, region=region_manager
            )

    agreed = next(
        (
            item
            for item in wish_items.values()
            if item.decision == BidDecision.BID and not item.was_escalated
        ),
        None,
    )
    reference = agreed.title if agreed else themes[0][1]
    services.plan_goal_create(
        plan=plan,
        by=owner,
        kind=PlanGoalKind.REFERENCE_SITE,
        description=f"把「{reference}」做成省内标杆案例，年底前组织一次同业参观。",
        due_date=datetime.date(year, 12, 15),
    )
    services.plan_goal_create(
        plan=plan,
        by=owner,
        kind=PlanGoalKind.NEW_BUSINESS_LINE,
        description=f"{themes[2][2]} 产品线在客户处拿下首单，进入第二个业务部门。",
        due_date=datetime.date(year, 9, 30),
    )

    for slot, (start, end) in enumerate(ROADMAP_MONTHS):
        initiative, _title, offering = themes[slot]
        services.roadmap_item_create(
            plan=plan,
            by=owner,
            initiative=initiative,
            offering=offering,
            start_month=_plan_month(year, start),
            end_month=_plan_month(year, end),
            wish_item=wish_items.get(slot) if slot in ROADMAP_LINKED else None,
        )
    return len(wish_items), len(ROADMAP_MONTHS)


def _plan_month(year: int, month: int) -> datetime.date:
    """The first day of a month counted from January of `year` (13: January of the next)."""
    return datetime.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _bring_to_state(rng, item, state: str, *, account_team: User, region: User | None):
    """Take the positions (and the escalation decision) that bring a new item to `state`.
    Without a region manager, the item stays waiting for the region."""

    def take(side: str, by: User, position: str, note: str):
        return services.wish_item_take_position(
            item=item, by=by, position=position, note=note, side=side
        )

    if state == WAITING or region is None:
        return take(WishSide.ACCOUNT_TEAM, account_team, BidPosition.BID, rng.choice(WAITING_NOTES))
    if state == AGREED:
        take(
            WishSide.ACCOUNT_TEAM,
            account_team,
            BidPosition.BID,
            rng.choice(AGREED_NOTES[WishSide.ACCOUNT_TEAM]),
        )
        return take(
            WishSide.REGION, region, BidPosition.BID, rng.choice(AGREED_NOTES[WishSide.REGION])
        )
    disagreement = rng.choice(DISAGREEMENTS)
    take(WishSide.ACCOUNT_TEAM, account_team, *disagreement[WishSide.ACCOUNT_TEAM])
    escalated = take(WishSide.REGION, region, *disagreement[WishSide.REGION])
    if state != DECIDED or escalated.escalated_to is None:
        return escalated
    decision = rng.choice([BidPosition.BID, BidPosition.NO_BID])
    return services.wish_item_decide_escalation(
        item=escalated,
        by=escalated.escalated_to,
        decision=decision,
        note=ESCALATION_NOTES[decision],
    )
