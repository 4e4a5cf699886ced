# ruff: noqa: RUF001 (the seeded Chinese texts use Chinese punctuation)
"""The sales processes seeded by opportunities/migrations/0002 (DESIGN.md §1.1–1.3) and the
admin pages where a company edits them."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from accounts.choices import Industry
from opportunities.models import (
    GateRule,
    Milestone,
    Opportunity,
    SalesProcess,
    Stage,
    StageAid,
    StageCollaborator,
    StageTask,
)

seeding = importlib.import_module("opportunities.migrations.0002_default_sales_process")

pytestmark = pytest.mark.django_db

# DESIGN.md §1.1, row by row.
EIGHT_STAGES = [
    (
        "qualify",
        "Opportunity initiation",
        "项目立项",
        "Problem recognised",
        "发现问题，提出问题",
        10,
    ),
    (
        "contact",
        "Initial contact",
        "初步接触",
        "Needs analysed, budget set",
        "分析研讨，确定预算",
        20,
    ),
    (
        "design",
        "Solution design",
        "方案设计",
        "Project approved, team formed",
        "项目立项，建立小组",
        30,
    ),
    (
        "prove",
        "Credentials & proof",
        "业绩展示",
        "Criteria set, goals fixed",
        "建立标准，稳定目标",
        40,
    ),
    (
        "confirm",
        "Solution confirmed",
        "方案确认",
        "Tender issued, shortlist",
        "确定招标，初步筛选",
        50,
    ),
    ("evaluate", "Evaluation", "项目评估", "Preferred vendor chosen", "认准首选，筛供应商", 70),
    (
        "negotiate",
        "Negotiation",
        "商务谈判",
        "Contract review & negotiation",
        "合同审核，合作谈判",
        85,
    ),
    ("won", "Contract signed", "签约成交", "Agreed and signed", "双方商定，签约成交", 100),
]


@pytest.fixture
def solution():
    return SalesProcess.objects.get(code="solution")


@pytest.fixture
def standard():
    return SalesProcess.objects.get(code="standard")


def stage_of(process, code):
    return process.stages.get(code=code)


def test_the_solution_process_is_the_only_default(solution):
    assert list(SalesProcess.objects.filter(is_default=True)) == [solution]
    assert (solution.name_en, solution.name_zh) == (
        "Solution sales (8 stages)",
        "解决方案销售（八阶段）",
    )
    assert solution.is_active


def test_the_default_stages_follow_the_design_table(solution):
    stages = solution.stages.order_by("order")
    assert [
        (
            stage.code,
            stage.name_en,
            stage.name_zh,
            stage.customer_name_en,
            stage.customer_name_zh,
            stage.probability,
        )
        for stage in stages
    ] == EIGHT_STAGES
    assert [stage.order for stage in stages] == list(range(1, 9))
    assert all(stage.customer_probability == stage.probability for stage in stages)
    assert [stage.code for stage in stages if stage.is_won] == ["won"]
    assert solution.first_stage().code == "qualify"


def test_the_standard_process_has_four_stages_and_is_not_default(standard):
    assert not standard.is_default
    assert (standard.name_en, standard.name_zh) == (
        "Standard product (4 stages)",
        "标准产品（四阶段）",
    )
    assert [
        (stage.order, stage.code, stage.probability, stage.customer_probability, stage.is_won)
        for stage in standard.stages.order_by("order")
    ] == [
        (1, "qualify", 20, 20, False),
        (2, "propose", 50, 50, False),
        (3, "negotiate", 80, 80, False),
        (4, "won", 100, 100, True),
    ]
    assert not standard.gates.exists()
    assert all(stage.customer_name_en and stage.customer_name_zh for stage in standard.stages.all())


def test_every_seeded_text_is_in_english_and_chinese():
    for model, fields in [
        (SalesProcess, ["name", "description"]),
        (Stage, ["name", "customer_name"]),
        (Milestone, ["name", "description"]),
        (StageTask, ["name"]),
        (StageAid, ["title", "body"]),
        (StageCollaborator, ["assessed_on"]),
    ]:
        for row in model.objects.all():
            for field in fields:
                assert getattr(row, f"{field}_en"), f"{model.__name__} {row.pk}: no {field}_en"
                assert getattr(row, f"{field}_zh"), f"{model.__name__} {row.pk}: no {field}_zh"


def test_every_stage_before_the_won_one_has_a_required_milestone_a_task_and_an_aid():
    for stage in Stage.objects.filter(process__code__in=["solution", "standard"]):
        assert stage.tasks.exists(), stage.code
        assert stage.aids.exists(), stage.code
        if not stage.is_won:
            assert stage.milestones.filter(is_required=True).exists(), stage.code
        else:
            assert not stage.milestones.filter(is_required=True).exists(), stage.code


def test_the_default_stages_have_two_to_four_milestones_and_tasks(solution):
    for stage in solution.stages.all():
        assert 2 <= stage.milestones.count() <= 4, stage.code
        assert 2 <= stage.tasks.count() <= 4, stage.code
        assert stage.collaborators.exists(), stage.code


@pytest.mark.parametrize("process_code", ["solution", "standard"])
def test_a_signed_contract_in_negotiation_is_what_wins_the_deal(process_code):
    contract = Milestone.objects.get(proves_contract=True, stage__process__code=process_code)
    assert (contract.stage.code, contract.code) == ("negotiate", "contract_signed")
    assert contract.is_required
    assert contract.evidence_type == "file"


def test_the_design_examples_are_milestones_of_their_stages(solution):
    names = {
        code: set(stage_of(solution, code).milestones.values_list("name_en", flat=True))
        for code in ["contact", "confirm", "negotiate"]
    }
    assert {"Budget status known", "Decision chain has at least 2 roles mapped"} <= names["contact"]
    assert {
        "Customer confirmed the solution in writing",
        "Bid decision (ATB) approved",
    } <= names["confirm"]
    assert "Contract signed by both parties" in names["negotiate"]


@pytest.mark.parametrize("stage_code", ["contact", "design"])
def test_discovery_aids_exist_for_manufacturing_banking_and_every_industry(solution, stage_code):
    stage = stage_of(solution, stage_code)
    industries = set(stage.aids.values_list("industry", flat=True))
    assert {"", Industry.MANUFACTURING, Industry.BANKING} <= industries
    manufacturing = stage.aids.get(industry=Industry.MANUFACTURING)
    banking = stage.aids.get(industry=Industry.BANKING)
    assert manufacturing.kind == banking.kind == "questions"
    assert "MES" in manufacturing.body_en
    assert "core banking" in banking.body_en


def test_the_industry_questionnaires_ask_what_the_industry_needs(solution):
    aids = stage_of(solution, "contact").aids
    manufacturing = aids.get(industry=Industry.MANUFACTURING).body_en
    banking = aids.get(industry=Industry.BANKING).body_en
    assert all(word in manufacturing for word in ["MES", "OEE", "plants"])
    assert all(word in banking for word in ["core banking", "regulatory", "data residency"])


def test_question_lists_have_one_question_a_line_in_both_languages():
    for aid in StageAid.objects.filter(kind="questions"):
        english, chinese = aid.body_en.splitlines(), aid.body_zh.splitlines()
        assert len(english) >= 3, aid.title_en
        assert len(english) == len(chinese), aid.title_en
        assert all(line.strip() for line in english + chinese), aid.title_en


def test_aid_industries_are_known_industries():
    assert set(StageAid.objects.values_list("industry", flat=True)) <= {"", *Industry.values}


def test_collaborators_are_assessed_on_what_their_stage_needs(solution):
    assessed_on = {
        (collaborator.stage.code, collaborator.role): collaborator.assessed_on_en
        for collaborator in StageCollaborator.objects.filter(stage__process=solution)
    }
    assert assessed_on["design", "presales"] == "Solution fits the stated pains"
    assert assessed_on["negotiate", "finance"] == "Price and terms within policy"
    assert {role for _, role in assessed_on} == {
        "solution_owner",
        "delivery_owner",
        "presales",
        "finance",
    }


def test_the_three_gates_guard_their_stages_with_the_design_facts(solution):
    gates = {
        gate.kind: (gate.leaving_stage.code, gate.required_facts, gate.min_amount, gate.tiers)
        for gate in solution.gates.select_related("leaving_stage")
    }
    assert gates == {
        "ATI": ("qualify", ["identified_pain", "economic_buyer"], Decimal("500000"), []),
        "ATB": (
            "confirm",
            ["decision_criteria", "decision_process", "champion"],
            Decimal("1000000"),
            [],
        ),
        "ATC": ("negotiate", ["paper_process"], Decimal("1000000"), []),
    }
    assert all(gate.is_active for gate in solution.gates.all())


def test_every_seeded_row_passes_model_validation():
    for model in [SalesProcess, Stage, Milestone, StageTask, StageAid, StageCollaborator, GateRule]:
        for row in model.objects.all():
            row.full_clean()


def test_names_follow_the_active_language(solution):
    stage = stage_of(solution, "qualify")
    contract = Milestone.objects.get(stage__process=solution, code="contract_signed")
    with translation.override("zh-hans"):
        assert (solution.name, stage.name, stage.customer_name) == (
            "解决方案销售（八阶段）",
            "项目立项",
            "发现问题，提出问题",
        )
        assert contract.name == "双方已签署合同"
        assert str(stage) == "1. 项目立项"
    with translation.override("en"):
        assert (solution.name, stage.name, stage.customer_name) == (
            "Solution sales (8 stages)",
            "Opportunity initiation",
            "Problem recognised",
        )
        assert contract.name == "Contract signed by both parties"


def test_seeding_again_changes_nothing_the_admins_edited(solution):
    negotiate = stage_of(solution, "negotiate")
    negotiate.probability = 80
    negotiate.save()
    Milestone.objects.filter(stage=negotiate, code="award_received").delete()
    counts = {model: model.objects.count() for model in [Stage, Milestone, StageAid, GateRule]}

    seeding.seed_processes(apps, schema_editor=None)

    assert {model: model.objects.count() for model in counts} == counts
    assert stage_of(solution, "negotiate").probability == 80


def test_unseeding_removes_only_processes_no_opportunity_uses(solution, standard, org, account):
    qualify = stage_of(solution, "qualify")
    Opportunity.objects.create(
        account=account,
        name="MES rollout",
        owner=org.rep1,
        team=org.shanghai,
        process=solution,
        stage=qualify,
        customer_stage=qualify,
        amount=Decimal("800000"),
        expected_close_date=datetime.date(2027, 3, 31),
        probability=10,
    )

    seeding.remove_unused_processes(apps, schema_editor=None)

    assert list(SalesProcess.objects.filter(code__in=["solution", "standard"])) == [solution]
    assert solution.stages.count() == 8
    seeding.seed_processes(apps, schema_editor=None)  # applying again brings back the other one
    assert SalesProcess.objects.get(code="standard").stages.count() == 4


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "salesprocess",
        "stage",
        "milestone",
        "stagetask",
        "stageaid",
        "stagecollaborator",
        "gaterule",
    ],
)
def test_the_process_changelists_load_for_an_admin(admin_client, model):
    response = admin_client.get(reverse(f"admin:opportunities_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["salesprocess", "stage", "milestone", "stageaid", "gaterule"])
def test_the_add_pages_load_for_an_admin(admin_client, model):
    response = admin_client.get(reverse(f"admin:opportunities_{model}_add"))
    assert response.status_code == 200


def test_the_process_and_stage_pages_load_with_their_inlines(admin_client, solution):
    negotiate = stage_of(solution, "negotiate")
    process_page = admin_client.get(
        reverse("admin:opportunities_salesprocess_change", args=[solution.pk])
    )
    stage_page = admin_client.get(reverse("admin:opportunities_stage_change", args=[negotiate.pk]))
    assert process_page.status_code == stage_page.status_code == 200
    assert "Contract signed by both parties" in stage_page.content.decode()
    assert "Price and terms within policy" in stage_page.content.decode()


def inline_management(prefix, total):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_an_admin_adds_a_process_with_its_own_stages_and_milestones(admin_client):
    stage_rows = [
        ("offer", "Offer", "报价", "Comparing offers", "比价", 40, ""),
        ("signed", "Signed", "签约", "Ordered", "下单", 100, "on"),
    ]
    data = {
        "code": "renewal",
        "name_en": "Renewal",
        "name_zh": "续约",
        "is_active": "on",
        **inline_management("stages", len(stage_rows)),
        **inline_management("gates", 0),
    }
    for index, (code, name_en, name_zh, customer_en, customer_zh, percent, won) in enumerate(
        stage_rows
    ):
        data |= {
            f"stages-{index}-order": str(index + 1),
            f"stages-{index}-code": code,
            f"stages-{index}-name_en": name_en,
            f"stages-{index}-name_zh": name_zh,
            f"stages-{index}-customer_name_en": customer_en,
            f"stages-{index}-customer_name_zh": customer_zh,
            f"stages-{index}-probability": str(percent),
            f"stages-{index}-customer_probability": str(percent),
            f"stages-{index}-is_won": won,
        }

    response = admin_client.post(reverse("admin:opportunities_salesprocess_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    renewal = SalesProcess.objects.get(code="renewal")
    assert not renewal.is_default
    assert list(renewal.stages.values_list("code", "is_won")) == [
        ("offer", False),
        ("signed", True),
    ]

    offer = stage_of(renewal, "offer")
    response = admin_client.post(
        reverse("admin:opportunities_milestone_add"),
        {
            "stage": str(offer.pk),
            "code": "renewal_signed",
            "order": "10",
            "name_en": "Renewal signed",
            "name_zh": "续约合同已签署",
            "is_required": "on",
            "evidence_type": "file",
            "proves_contract": "on",
        },
    )
    assert response.status_code == 302
    assert offer.milestones.get().proves_contract
    assert Milestone.objects.filter(proves_contract=True).count() == 3  # two seeded, this one


def test_the_gate_admin_takes_facts_as_choices_and_refuses_another_process_stage(
    admin_client, solution, standard
):
    url = reverse("admin:opportunities_gaterule_change", args=[solution.gates.get(kind="ATB").pk])
    data = {
        "process": str(solution.pk),
        "kind": "ATB",
        "leaving_stage": str(stage_of(solution, "confirm").pk),
        "min_amount": "2000000",
        "tiers": ["A", "B"],
        "required_facts": ["decision_criteria", "champion"],
        "is_active": "on",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    atb = solution.gates.get(kind="ATB")
    assert (atb.min_amount, atb.tiers, atb.required_facts) == (
        Decimal("2000000"),
        ["A", "B"],
        ["decision_criteria", "champion"],
    )

    response = admin_client.post(
        url, data | {"leaving_stage": str(stage_of(standard, "negotiate").pk)}
    )
    assert response.status_code == 200
    assert "leaving_stage" in response.context["adminform"].form.errors


def test_the_admin_refuses_a_second_default_process(admin_client):
    response = admin_client.post(
        reverse("admin:opportunities_salesprocess_add"),
        {
            "code": "other",
            "name_en": "Other",
            "is_default": "on",
            "is_active": "on",
            **inline_management("stages", 0),
            **inline_management("gates", 0),
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert list(SalesProcess.objects.filter(is_default=True).values_list("code", flat=True)) == [
        "solution"
    ]
