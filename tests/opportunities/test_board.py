"""The pipeline pages: the Kanban board (visible open deals by stage, column sums, the rep's and
the manager's scope), the move a card makes through the service, and the filtered list."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from opportunities import services
from opportunities.models import Opportunity, SalesProcess, StageChange
from opportunities.views import board as board_views

BOARD = reverse("opportunities:pipeline")
LIST = reverse("opportunities:list")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def jiangsu_account(org):
    return account_services.account_create(
        by=org.manager_jiangsu, owner_team=org.jiangsu, name="Wuxi Steel", owner=org.rep3
    )


@pytest.fixture
def new_deal(org, pipeline, account):
    def create(name, amount="100000", *, owner=None, on=None, close_in=90, **fields):
        return services.opportunity_create(
            by=owner or org.rep1,
            account=on or account,
            name=name,
            amount=Decimal(amount),
            expected_close_date=timezone.localdate() + datetime.timedelta(days=close_in),
            process=pipeline.process,
            **fields,
        )

    return create


def board(client, user, headers=None, **params):
    client.force_login(user)
    return client.get(BOARD, {"process": "test", **params}, **(headers or {}))


def column(response, code):
    return next(c for c in response.context["columns"] if c["stage"].code == code)


def card_names(response, code):
    return [deal.name for deal in column(response, code)["cards"]]


def move(client, deal, stage, *, version=None, htmx=True, **extra):
    data = {"stage": stage, "version": deal.version if version is None else version, **extra}
    url = reverse("opportunities:move", args=[deal.pk])
    return client.post(url, data, **(HTMX if htmx else {}))


# The board ----------------------------------------------------------------------------------


def test_board_shows_the_reps_open_deals_by_stage_with_column_sums(
    org, client, new_deal, jiangsu_account
):
    new_deal("MES rollout", "100000")
    new_deal("ERP upgrade", "300000")
    new_deal("Data centre", "200000", stage="second", customer_stage="second")
    lost = new_deal("Lost printer deal")
    services.opportunity_close(opportunity=lost, by=org.rep1, status="lost", reason="price")
    new_deal("Teammate's deal", owner=org.rep2)
    new_deal("Jiangsu deal", owner=org.rep3, on=jiangsu_account)

    response = board(client, org.rep1)

    assert response.status_code == 200
    assert response.context["scope"] == "mine"
    assert [c["stage"].code for c in response.context["columns"]] == [
        "first",
        "second",
        "third",
        "signed",
    ]
    first, second = column(response, "first"), column(response, "second")
    assert card_names(response, "first") == ["MES rollout", "ERP upgrade"]
    assert (first["count"], first["amount"], first["weighted"]) == (
        2,
        Decimal("400000"),
        Decimal("40000.00"),
    )
    assert card_names(response, "second") == ["Data centre"]
    assert (second["count"], second["amount"], second["weighted"]) == (
        1,
        Decimal("200000"),
        Decimal("80000.00"),
    )
    assert column(response, "third")["count"] == 0
    page = response.content.decode()
    assert "400,000" in page and "40,000" in page
    for hidden in ("Lost printer deal", "Teammate&#x27;s deal", "Jiangsu deal"):
        assert hidden not in page


def test_cards_show_the_flags_the_manager_reads(org, client, new_deal):
    ahead = new_deal("Ahead of the customer", stage="second", customer_stage="first")
    late = new_deal("Came in late", customer_stage="third")
    past_due = new_deal("Overdue", close_in=-3)
    Opportunity.objects.filter(pk=ahead.pk).update(
        stage_entered_at=ahead.stage_entered_at - datetime.timedelta(days=12)
    )

    page = board(client, org.rep1).content.decode()

    card = {deal.pk: _card_html(page, deal.pk) for deal in (ahead, late, past_due)}
    assert 'data-testid="badge-over-reporting"' in card[ahead.pk]
    assert "12 days" in card[ahead.pk]
    assert 'data-testid="badge-late-entry"' in card[late.pk]
    assert 'data-testid="badge-past-due"' in card[past_due.pk]
    assert 'data-testid="badge-past-due"' not in card[late.pk]


def _card_html(page: str, pk: int) -> str:
    start = page.index(f'id="deal-{pk}"')
    return page[start : page.index("</article>", start)]


def test_manager_sees_the_team_subtree_with_owners_and_narrows_to_a_team(
    org, client, new_deal, jiangsu_account
):
    new_deal("Shanghai deal")
    new_deal("Jiangsu deal", owner=org.rep3, on=jiangsu_account)

    response = board(client, org.manager_east)
    assert response.context["scope"] == "team"
    assert sorted(card_names(response, "first")) == ["Jiangsu deal", "Shanghai deal"]
    page = response.content.decode()
    assert org.rep1.get_full_name() in page and org.rep3.get_full_name() in page

    narrowed = board(client, org.manager_east, within_team=org.jiangsu.pk)
    assert card_names(narrowed, "first") == ["Jiangsu deal"]
    assert column(narrowed, "first")["amount"] == Decimal("100000")

    assert card_names(board(client, org.manager_shanghai), "first") == ["Shanghai deal"]
    assert card_names(board(client, org.manager_east, scope="mine"), "first") == []


def test_board_defaults_to_the_default_process_and_offers_the_others(org, client, new_deal):
    new_deal("MES rollout")
    client.force_login(org.rep1)
    response = client.get(BOARD)
    assert response.context["process"].is_default
    assert "test" in [process.code for process in response.context["processes"]]
    assert 'data-testid="process-switch"' in response.content.decode()
    assert "MES rollout" not in response.content.decode()


def test_board_filter_request_from_htmx_gets_only_the_board(org, client, new_deal):
    new_deal("MES rollout")
    new_deal("ERP upgrade")
    response = board(client, org.rep1, headers=HTMX, q="erp")
    assert b"<html" not in response.content
    assert card_names(response, "first") == ["ERP upgrade"]


def test_a_full_column_shows_its_first_cards_and_links_to_the_rest(
    org, client, new_deal, monkeypatch
):
    monkeypatch.setattr(board_views, "CARDS_PER_COLUMN", 2)
    for days in (30, 10, 20):
        new_deal(f"Closing in {days} days", close_in=days)

    response = board(client, org.rep1)

    assert card_names(response, "first") == ["Closing in 10 days", "Closing in 20 days"]
    assert column(response, "first")["count"] == 3
    assert column(response, "first")["amount"] == Decimal("300000")
    assert "and 1 more in the list" in response.content.decode()


def test_board_without_an_active_process_says_so(org, client):
    SalesProcess.objects.update(is_active=False)
    client.force_login(org.rep1)
    page = client.get(BOARD).content.decode()
    assert "No sales process is set up yet." in page


# Moving a card ------------------------------------------------------------------------------


def test_move_advances_through_the_service_and_returns_the_card_and_totals(
    org, client, new_deal, pipeline
):
    deal = new_deal("MES rollout")
    services.milestone_check(opportunity=deal, milestone=pipeline.need, by=org.rep1, note="Met")
    client.force_login(org.rep1)

    response = move(client, deal, "second", process="test", scope="mine")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.code, deal.version) == ("second", 2)
    change = StageChange.objects.filter(opportunity=deal).first()
    assert (change.kind, change.changed_by) == ("advance", org.rep1)
    page = response.content.decode()
    assert f'id="deal-{deal.pk}"' in page and 'data-stage="second"' in page
    assert 'name="version" value="2"' in page
    assert 'id="column-head-second" hx-swap-oob="true"' in page
    head = page[page.index('id="column-head-second"') :]
    assert '<span class="badge text-bg-secondary" data-testid="count"' in head
    assert column(response, "second")["count"] == 1
    assert column(response, "first")["count"] == 0
    assert "MES rollout moved to Stage 2." in page


def test_move_refused_names_the_missing_milestone_and_changes_nothing(org, client, new_deal):
    deal = new_deal("MES rollout")
    client.force_login(org.rep1)

    response = move(client, deal, "second")

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#board-alert"
    page = response.content.decode()
    assert "The opportunity cannot move to Stage 2." in page
    assert "Milestone not checked: Stage 1 – need" in page
    assert reverse("opportunities:detail", args=[deal.pk]) in page
    deal.refresh_from_db()
    assert (deal.stage.code, deal.version) == ("first", 1)
    assert deal.stage_changes.count() == 1


def test_move_with_a_stale_version_asks_to_reload(org, client, new_deal):
    deal = new_deal("MES rollout")
    services.opportunity_update(opportunity=deal, by=org.manager_shanghai, version=1, amount=5)
    client.force_login(org.rep1)

    response = move(client, deal, "second", version=1)

    assert response.status_code == 409
    page = response.content.decode()
    assert "Somebody else changed this opportunity meanwhile. Reload and try again." in page
    assert "Reload the board" in page
    deal.refresh_from_db()
    assert (deal.stage.code, deal.version) == ("first", 2)


def test_move_without_javascript_goes_back_to_the_board_with_the_outcome(
    org, client, new_deal, pipeline
):
    deal = new_deal("MES rollout")
    client.force_login(org.rep1)
    back = f"{BOARD}?process=test"

    refused = move(client, deal, "second", htmx=False, next=back)
    assert refused.status_code == 302 and refused["Location"] == back
    [message] = get_messages(refused.wsgi_request)
    assert "Milestone not checked: Stage 1 – need" in str(message)

    services.milestone_check(opportunity=deal, milestone=pipeline.need, by=org.rep1, note="Met")
    moved = move(client, deal, "second", htmx=False, next="https://evil.example.com/")
    assert moved["Location"] == BOARD  # never back to another site
    assert Opportunity.objects.get(pk=deal.pk).stage.code == "second"
    page = client.get(back).content.decode()
    assert "MES rollout moved to Stage 2." in page


def test_move_of_a_deal_the_user_cannot_see_is_not_found(org, client, new_deal):
    deal = new_deal("MES rollout")
    client.force_login(org.rep3)
    assert move(client, deal, "second").status_code == 404
    client.force_login(org.rep1)
    assert client.get(reverse("opportunities:move", args=[deal.pk])).status_code == 405


# The list -----------------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(org, client, new_deal, jiangsu_account):
    for index in range(27):
        new_deal(f"Rollout {index:02d}", str(10000 * (index + 1)), close_in=index + 1)
    new_deal("Big commit", "9000000", stage="second", forecast_category="commit")
    new_deal("Jiangsu deal", owner=org.rep3, on=jiangsu_account)
    lost = new_deal("Already lost")
    services.opportunity_close(opportunity=lost, by=org.rep1, status="lost", reason="price")
    client.force_login(org.manager_east)

    first = client.get(LIST)
    assert first.context["page"].paginator.count == 29  # open deals by default
    assert len(first.context["page"]) == 25
    second = client.get(LIST, {"page": 2})
    assert len(second.context["page"]) == 4

    def names(**params):
        return [deal.name for deal in client.get(LIST, params).context["page"]]

    assert names(q="jiangsu") == ["Jiangsu deal"]
    assert names(stage="second") == ["Big commit"]
    assert names(forecast_category="commit") == ["Big commit"]
    assert names(status="lost") == ["Already lost"]
    assert len(names(status="")) == 25  # "All statuses"
    every_status = client.get(LIST, {"status": ""})
    assert every_status.context["page"].paginator.count == 30
    assert "?status=&amp;page=2" in every_status.content.decode()  # the next page keeps it
    assert names(within_team=org.jiangsu.pk) == ["Jiangsu deal"]
    assert names(owner=org.rep3.pk) == ["Jiangsu deal"]
    assert names(amount_min="250000", amount_max="270000") == [
        "Rollout 24",
        "Rollout 25",
        "Rollout 26",
    ]
    today = timezone.localdate()
    assert names(
        close_after=(today + datetime.timedelta(days=2)).isoformat(),
        close_before=(today + datetime.timedelta(days=3)).isoformat(),
    ) == ["Rollout 01", "Rollout 02"]
    assert names(sort="-amount")[:2] == ["Big commit", "Rollout 26"]
    assert names(tier="A") == []
    empty = client.get(LIST, {"q": "nothing like this"}).content.decode()
    assert "No opportunity matches these filters." in empty


def test_list_for_a_rep_shows_only_visible_deals_and_htmx_gets_the_table(
    org, client, new_deal, jiangsu_account
):
    new_deal("MES rollout")
    new_deal("Jiangsu deal", owner=org.rep3, on=jiangsu_account)
    client.force_login(org.rep1)
    response = client.get(LIST, **HTMX)
    assert b"<html" not in response.content
    assert b'data-testid="opportunity-table"' in response.content
    assert [deal.name for deal in response.context["page"]] == ["MES rollout"]
    assert response.context["total_amount"] == Decimal("100000")
    assert response.context["total_weighted"] == Decimal("10000.00")


def test_list_of_a_rep_without_deals_says_so(org, client, pipeline):
    client.force_login(org.rep2)
    page = client.get(LIST).content.decode()
    assert "No open opportunities yet." in page


# Query counts -------------------------------------------------------------------------------


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url", "params"),
    [(BOARD, {"process": "test"}), (LIST, {}), (LIST, {"status": "", "sort": "-amount"})],
)
def test_pipeline_pages_query_count_does_not_grow_with_deals(
    org, client, new_deal, jiangsu_account, django_assert_max_num_queries, url, params
):
    def add(count, offset):
        for index in range(count):
            owner, on = (org.rep3, jiangsu_account) if index % 2 else (org.rep1, None)
            stage = ("first", "second")[index % 3 == 0]
            new_deal(f"Deal {offset + index}", owner=owner, on=on, stage=stage)

    add(5, 0)
    client.force_login(org.manager_east)
    with_five = _queries(client, url, params)
    add(25, 5)
    with django_assert_max_num_queries(with_five):
        client.get(url, params)
