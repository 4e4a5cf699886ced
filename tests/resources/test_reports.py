"""Contribution reports with exact numbers: utilisation, hours and cost per request type, hours
per won deal, tech-win rate, average rating and the SLA, per engineer and per team."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from opportunities import services as deal_services
from resources import charts, selectors, services
from resources.choices import RequestStatus, RequestType, TechOutcome
from resources.models import ResourceRequest
from tests.factories import DayOffFactory

from .conftest import monday

S = RequestStatus
TODAY = timezone.localdate()
M = monday(TODAY)


def day(offset: int) -> datetime.date:
    return M + datetime.timedelta(days=offset)


PERIOD = {"start": day(-14), "end": day(6)}  # three ISO weeks, the current one last


def win(deal, pipeline, rep):
    """Through the stages to the signed contract, as the rep would."""
    steps = [
        (pipeline.need, "second", {"note": "Pain confirmed"}),
        (pipeline.budget, "third", {"note": "Budget approved"}),
        (
            pipeline.contract,
            "signed",
            {"file": SimpleUploadedFile("contract.pdf", b"%PDF-1.4", "application/pdf")},
        ),
    ]
    for milestone, stage, evidence in steps:
        deal_services.milestone_check(opportunity=deal, milestone=milestone, by=rep, **evidence)
        deal = deal_services.opportunity_advance(opportunity=deal, to_stage=stage, by=rep)
    assert deal.status == "won"
    return deal


@pytest.fixture
def history(org, presales, pipeline, make_deal, make_request, settings, tmp_path):
    """Two weeks of presales work:
    - R1, a demo on a deal of 800,000 that is won: engineer1 logs 6 + 4 h, engineer2 5 h;
      rated 4, technical win; submitted → approved in 2 h, → dispatched 30 min later.
    - R2, a proof of concept on a deal of 500,000 still open: engineer1 logs 8 h; rated 2,
      technical loss; approved after 7 h, dispatched 1 h 30 later.
    - R3, a technical exchange on the second deal, approved after 1 h, not yet dispatched.
    engineer1 (40 h a week, 500 an hour) takes the first day of the period off; engineer2 works
    20 h a week at 800 an hour."""
    settings.MEDIA_ROOT = tmp_path
    won_deal, open_deal = make_deal("800000"), make_deal("500000")
    dates = {"wanted_start": day(-14), "wanted_end": day(4)}
    r1 = make_request(opportunity=won_deal, kind=RequestType.DEMO, **dates)
    r2 = make_request(opportunity=open_deal, kind=RequestType.PROOF_OF_CONCEPT, **dates)
    r3 = make_request(opportunity=open_deal, kind=RequestType.TECHNICAL_EXCHANGE, **dates)
    for request in (r1, r2, r3):
        request = services.request_submit(request=request, by=org.rep1)
        services.request_approve(request=request, by=org.lead)
    DayOffFactory(engineer=presales.engineer1, date=day(-14))
    window = (day(-14), day(4))
    r1 = services.request_dispatch(
        request=r1,
        by=org.lead,
        assignments=[
            (presales.engineer1, Decimal(20), *window),
            (presales.engineer2, Decimal(10), *window),
        ],
    )
    r2 = services.request_dispatch(
        request=r2, by=org.lead, assignments=[(presales.engineer1, Decimal(16), *window)]
    )
    r1 = services.request_start(request=r1, by=org.engineer)
    r2 = services.request_start(request=r2, by=org.engineer)
    engineer2 = presales.engineer2.user
    for request, engineer, date, hours in [
        (r1, org.engineer, day(-13), 6),
        (r1, org.engineer, day(-12), 4),
        (r2, org.engineer, day(-11), 8),
        (r1, engineer2, day(-13), 5),
    ]:
        services.time_log(
            assignment=request.assignments.get(engineer__user=engineer),
            by=engineer,
            date=date,
            hours=Decimal(hours),
        )
    for request, rating, outcome in [(r1, 4, TechOutcome.TECH_WIN), (r2, 2, TechOutcome.TECH_LOSS)]:
        request = services.request_complete(request=request, by=org.engineer)
        services.request_evaluate(request=request, by=org.rep1, rating=rating, tech_outcome=outcome)
    win(won_deal, pipeline, org.rep1)
    submitted = timezone.make_aware(datetime.datetime.combine(day(-14), datetime.time(9)))
    for request, approve_after, dispatch_after in [(r1, 120, 150), (r2, 420, 510), (r3, 60, None)]:
        ResourceRequest.objects.filter(pk=request.pk).update(
            submitted_at=submitted,
            approved_at=submitted + datetime.timedelta(minutes=approve_after),
            dispatched_at=(
                submitted + datetime.timedelta(minutes=dispatch_after) if dispatch_after else None
            ),
        )
    return r1, r2, r3


def without_objects(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in ("engineer", "team")}


def test_contribution_per_engineer(org, presales, history):
    first, second = selectors.contribution_by_engineer(user=org.lead, **PERIOD)
    assert first["engineer"] == presales.engineer1
    assert without_objects(first) == {
        "engineer_id": presales.engineer1.pk,
        "name": str(org.engineer),
        # 15 weekdays × 8 h, less the day off
        "available_hours": Decimal("112.00"),
        "logged_hours": Decimal("18.00"),
        "utilisation": Decimal("0.1607"),  # 18 / 112
        "cost": Decimal("9000.00"),  # 18 × 500
        "by_type": [
            {
                "kind": "demo",
                "label": "Demo",
                "hours": Decimal("10.00"),
                "cost": Decimal("5000.00"),
            },
            {
                "kind": "poc",
                "label": "Proof of concept",
                "hours": Decimal("8.00"),
                "cost": Decimal("4000.00"),
            },
        ],
        "won_deals": 1,
        "hours_per_won_deal": Decimal("18.00"),
        "tech_wins": 1,
        "tech_losses": 1,
        "tech_win_rate": Decimal("0.5000"),
        "evaluations": 2,
        "average_rating": Decimal("3.00"),
    }
    assert first["team"] == "Solutions"
    assert without_objects(second) == {
        "engineer_id": presales.engineer2.pk,
        "name": str(presales.engineer2),
        "available_hours": Decimal("60.00"),  # 15 weekdays × 4 h
        "logged_hours": Decimal("5.00"),
        "utilisation": Decimal("0.0833"),  # 5 / 60
        "cost": Decimal("4000.00"),  # 5 × 800
        "by_type": [
            {"kind": "demo", "label": "Demo", "hours": Decimal("5.00"), "cost": Decimal("4000.00")}
        ],
        "won_deals": 1,
        "hours_per_won_deal": Decimal("5.00"),
        "tech_wins": 1,
        "tech_losses": 0,
        "tech_win_rate": Decimal("1.0000"),
        "evaluations": 1,
        "average_rating": Decimal("4.00"),
    }


def test_contribution_per_team_counts_each_request_once(org, history):
    centre, solutions = selectors.contribution_by_team(user=org.lead, **PERIOD)
    assert (centre["name"], solutions["name"]) == ("Presales Centre", "Solutions")
    expected = {
        "team_id": solutions["team_id"],
        "name": "Solutions",
        "engineers": 2,
        "available_hours": Decimal("172.00"),
        "logged_hours": Decimal("23.00"),
        "utilisation": Decimal("0.1337"),  # 23 / 172
        "cost": Decimal("13000.00"),
        "by_type": [
            {
                "kind": "demo",
                "label": "Demo",
                "hours": Decimal("15.00"),
                "cost": Decimal("9000.00"),
            },
            {
                "kind": "poc",
                "label": "Proof of concept",
                "hours": Decimal("8.00"),
                "cost": Decimal("4000.00"),
            },
        ],
        "won_deals": 1,  # both engineers worked on the same won deal
        "hours_per_won_deal": Decimal("23.00"),
        "tech_wins": 1,
        "tech_losses": 1,
        "tech_win_rate": Decimal("0.5000"),
        "evaluations": 2,
        "average_rating": Decimal("3.00"),
        "sla": {
            "submit_to_approve": {
                "count": 2,
                "average_hours": Decimal("4.50"),
                "median_hours": Decimal("4.50"),
            },
            "approve_to_dispatch": {
                "count": 2,
                "average_hours": Decimal("1.00"),
                "median_hours": Decimal("1.00"),
            },
        },
    }
    assert without_objects(solutions) == expected
    # The centre's subtree holds the same two engineers.
    assert without_objects(centre) == {
        **expected,
        "team_id": centre["team_id"],
        "name": "Presales Centre",
    }


def test_sla_over_every_request_the_lead_sees(org, history):
    assert selectors.sla_report(user=org.lead, **PERIOD) == {
        # 2 h, 7 h and 1 h
        "submit_to_approve": {
            "count": 3,
            "average_hours": Decimal("3.33"),
            "median_hours": Decimal("2.00"),
        },
        # 30 min and 1 h 30
        "approve_to_dispatch": {
            "count": 2,
            "average_hours": Decimal("1.00"),
            "median_hours": Decimal("1.00"),
        },
    }


def test_a_quiet_period_divides_by_nothing(org, presales, history):
    quiet = {"start": day(7), "end": day(13)}
    first = selectors.contribution_by_engineer(user=org.lead, **quiet)[0]
    assert (first["available_hours"], first["logged_hours"], first["utilisation"]) == (
        Decimal("40.00"),
        Decimal("0.00"),
        Decimal("0.0000"),
    )
    assert (first["hours_per_won_deal"], first["tech_win_rate"], first["average_rating"]) == (
        None,
        None,
        None,
    )
    assert selectors.sla_report(user=org.lead, **quiet)["submit_to_approve"] == {
        "count": 0,
        "average_hours": None,
        "median_hours": None,
    }


def test_reports_are_scoped_to_who_asks(org, presales, history):
    mine = selectors.contribution_by_engineer(user=org.engineer, **PERIOD)
    assert [row["engineer"] for row in mine] == [presales.engineer1]
    assert selectors.contribution_by_team(user=org.engineer, **PERIOD) == []
    assert selectors.contribution_by_engineer(user=org.rep1, **PERIOD) == []
    assert selectors.contribution_by_team(user=org.manager_east, **PERIOD) == []
    admin_rows = selectors.contribution_by_engineer(user=org.admin, **PERIOD)
    assert [row["engineer"] for row in admin_rows] == [presales.engineer1, presales.engineer2]


# Charts -----------------------------------------------------------------------------------


def series(option: dict) -> dict[str, list]:
    return {item["name"]: item["data"] for item in option["series"]}


def test_the_charts_draw_the_reports_numbers(org, presales, history):
    rows = selectors.contribution_by_engineer(user=org.lead, **PERIOD)
    options = charts.contribution_charts(rows)
    # What json_script writes into the page: plain JSON, no Decimals.
    json.dumps({key: value for key, value in options.items() if key.endswith("_option")})
    names = [str(org.engineer), str(presales.engineer2)]

    utilisation = options["utilisation_option"]
    assert utilisation["xAxis"]["data"] == names
    assert series(utilisation) == {
        "Available hours": [112.0, 60.0],
        "Logged hours": [18.0, 5.0],
        "Utilisation": [16.1, 8.3],  # per cent of 0.1607 and 0.0833
    }
    assert series(utilisation)["Logged hours"] == [float(row["logged_hours"]) for row in rows]

    assert [item["label"] for item in options["type_totals"]] == ["Demo", "Proof of concept"]
    by_type = options["hours_by_type_option"]
    assert by_type["xAxis"]["data"] == ["Demo", "Proof of concept"]
    assert series(by_type) == {names[0]: [10.0, 8.0], names[1]: [5.0, 0.0]}
    assert {item["stack"] for item in by_type["series"]} == {"hours"}
    # Demo: 10 h × 500 + 5 h × 800; proof of concept: 8 h × 500.
    assert options["cost_by_type_option"]["series"][0]["data"] == [
        {"name": "Demo", "value": 9000.0},
        {"name": "Proof of concept", "value": 4000.0},
    ]

    evaluation = options["evaluation_option"]
    assert evaluation["xAxis"]["data"] == names
    assert series(evaluation) == {"Tech-win rate": [50.0, 100.0], "Average rating": [3.0, 4.0]}


def test_a_quiet_engineer_is_a_gap_in_the_evaluation_chart(org, presales, history):
    rows = selectors.contribution_by_engineer(
        user=org.lead,
        start=day(14),
        end=day(20),  # a week nobody worked
    )
    options = charts.contribution_charts(rows)
    assert series(options["evaluation_option"]) == {
        "Tech-win rate": [None, None],
        "Average rating": [None, None],
    }
    assert series(options["utilisation_option"])["Logged hours"] == [0.0, 0.0]
    assert options["type_totals"] == []
    assert options["hours_by_type_option"]["series"][0]["data"] == []


def test_the_report_page_has_the_charts_and_their_tables(org, client, presales, history):
    client.force_login(org.lead)
    response = client.get(
        reverse("resources:reports"),
        {"start": PERIOD["start"].isoformat(), "end": PERIOD["end"].isoformat()},
    )
    html = response.content.decode()
    for chart in (
        "utilisation-chart",
        "evaluation-chart",
        "hours-by-type-chart",
        "cost-by-type-chart",
    ):
        assert f'id="{chart}"' in html
        assert f'<script id="{chart}-option" type="application/json">' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert response.context["utilisation_option"] == charts.utilisation_option(
        response.context["by_engineer"]
    )
    assert 'data-kind="demo"><td>Demo</td><td class="text-end">10.00</td>' in html
    assert '<td class="text-end" data-cost="13000.00">' not in html  # per type, not in total
    assert '<td class="text-end" data-cost="9000.00">9,000.00</td>' in html
    assert '<td class="text-end" data-hours="8.00">8.00</td>' in html
