"""Stage statistics from the stage history of the `histories` deals (tests/forecasting/conftest):

          stays in first   in second   days to win from first / second / third
A (won)        10              10           30 / 20 / 10
B (lost)        5              10
C (lost)       20 (from the dates)
D (open)        8              (still there)
E (open)       (still there)
F (won, Jiangsu) 5             15           20 / 15
"""

from decimal import Decimal

import pytest

from forecasting import services
from forecasting.models import StageStatistic
from forecasting.statistics import stage_norms

pytestmark = pytest.mark.django_db


def row(pipeline, stage, team=None) -> StageStatistic:
    return StageStatistic.objects.get(process=pipeline.process, stage=stage, team=team)


def test_company_figures_count_deals_that_left_the_stage(org, pipeline, histories):
    # Company, East China and Shanghai: 3 stages each; Jiangsu: first and second.
    assert services.statistics_recompute() == 11

    first = row(pipeline, pipeline.first)
    # A, B, C, D and F left "first"; E is still there.
    assert (first.sample_size, first.reached_next, first.won) == (5, 4, 2)
    assert first.conversion_rate == Decimal("0.8000")
    # Closed: A, B, C, F; won A and F.
    assert first.win_rate == Decimal("0.5000")
    # Stays 5, 5, 8, 10, 20.
    assert (first.median_days, first.p80_days) == (Decimal("8.0"), Decimal("12.0"))
    assert first.days_to_close == [20.0, 30.0]
    assert first.median_days_to_close == Decimal("25.0")
    # [day, won, lost, still open] from entering "first": B lost on day 15; C lost and F won
    # on day 20; A won on day 30; E (19.5 days by midnight) and D (39.5) are still open.
    assert first.life_table == [
        [15, 0, 1, 0],
        [19, 0, 0, 1],
        [20, 1, 1, 0],
        [30, 1, 0, 0],
        [39, 0, 0, 1],
    ]

    second = row(pipeline, pipeline.second)
    # A, B and F left "second" (D is still in it); A reached third and F won.
    assert (second.sample_size, second.reached_next, second.won) == (3, 2, 2)
    assert second.conversion_rate == Decimal("0.6667")
    assert second.win_rate == Decimal("0.6667")
    assert (second.median_days, second.p80_days) == (Decimal("10.0"), Decimal("13.0"))
    assert second.days_to_close == [15.0, 20.0]

    third = row(pipeline, pipeline.third)
    assert (third.sample_size, third.reached_next, third.won, third.win_rate) == (
        1,
        1,
        1,
        Decimal("1.0000"),
    )
    assert third.days_to_close == [10.0]
    # The won stage is where deals end, not a stage they stay in.
    assert not StageStatistic.objects.filter(stage=pipeline.signed).exists()


def test_team_figures_cover_the_team_and_every_team_above(org, pipeline, histories):
    services.statistics_recompute()

    shanghai = row(pipeline, pipeline.first, org.shanghai)
    assert (shanghai.sample_size, shanghai.reached_next, shanghai.won) == (4, 3, 1)
    assert shanghai.conversion_rate == Decimal("0.7500")
    assert shanghai.win_rate == Decimal("0.3333")  # A won; B and C lost
    # Stays 5, 8, 10, 20: the median between 8 and 10, the 80th percentile 40 % of 10 to 20.
    assert (shanghai.median_days, shanghai.p80_days) == (Decimal("9.0"), Decimal("14.0"))
    assert shanghai.days_to_close == [30.0]

    jiangsu = row(pipeline, pipeline.second, org.jiangsu)
    assert (jiangsu.sample_size, jiangsu.won, jiangsu.median_days) == (1, 1, Decimal("15.0"))
    # East China holds both teams: the same as the company here.
    east = row(pipeline, pipeline.first, org.east)
    assert (east.sample_size, east.won, east.median_days) == (5, 2, Decimal("8.0"))
    assert not StageStatistic.objects.filter(team=org.north).exists()


def test_stage_norms_fall_back_to_the_company_below_the_minimum_sample(
    org, pipeline, histories, settings
):
    services.statistics_recompute()
    settings.FORECASTING_MIN_SAMPLE = 3

    norms = stage_norms(process_id=pipeline.process.pk, team_id=org.shanghai.pk)

    assert set(norms) == {pipeline.first.pk, pipeline.second.pk, pipeline.third.pk}
    assert norms[pipeline.first.pk].team_id == org.shanghai.pk  # 4 deals: its own
    assert norms[pipeline.second.pk].team_id is None  # 2 deals: the company's 3
    assert norms[pipeline.second.pk].sample_size == 3
    assert norms[pipeline.third.pk].team_id is None

    settings.FORECASTING_MIN_SAMPLE = 5
    norms = stage_norms(process_id=pipeline.process.pk, team_id=org.shanghai.pk)
    assert norms[pipeline.first.pk].team_id is None
    assert norms[pipeline.first.pk].p80_days == Decimal("12.0")


def test_stage_norms_of_a_team_without_history_are_the_companys(org, pipeline, histories):
    services.statistics_recompute()
    norms = stage_norms(process_id=pipeline.process.pk, team_id=org.beijing.pk)
    assert {stage: norm.team_id for stage, norm in norms.items()} == {
        pipeline.first.pk: None,
        pipeline.second.pk: None,
        pipeline.third.pk: None,
    }
    company = stage_norms(process_id=pipeline.process.pk, team_id=None)
    assert company[pipeline.first.pk].sample_size == 5


def test_statistics_recompute_is_idempotent(org, pipeline, histories):
    services.statistics_recompute()
    first = sorted(
        StageStatistic.objects.values_list(
            "process", "team", "stage", "sample_size", "won", "win_rate", "p80_days"
        ),
        key=str,
    )
    services.statistics_recompute()
    again = sorted(
        StageStatistic.objects.values_list(
            "process", "team", "stage", "sample_size", "won", "win_rate", "p80_days"
        ),
        key=str,
    )
    assert first == again
    assert len(again) == StageStatistic.objects.count() == 11
