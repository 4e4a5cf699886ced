"""Reads of customer accounts, scoped by the visibility rule first."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from salesops.models import User
from salesops.selectors import team_ids_visible_to

from .models import Account, AccountAssessment
from .tiering import Assessment, TieringFacts


def account_list_visible_to(user: User) -> QuerySet[Account]:
    """Accounts of the teams the user sees, plus those they own or serve on the team of."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.is_admin:
        return Account.objects.all()
    return Account.objects.filter(
        Q(owner_team__in=team_ids_visible_to(user))
        | Q(owner=user)
        | Q(pk__in=user.account_roles.values("account_id"))
    )


def tiering_facts_for(account_ids: Iterable[int]) -> dict[int, TieringFacts]:
    """The facts tiering scores from, for a batch of accounts, in a fixed number of queries.

    Won revenue and buying years come from won opportunities; until the opportunities app
    records any, they are zero.
    """
    account_ids = list(account_ids)
    assessments: dict[int, dict[str, Assessment]] = defaultdict(dict)
    for row in AccountAssessment.objects.filter(account_id__in=account_ids).values(
        "account_id", "criterion", "score", "note"
    ):
        assessments[row["account_id"]][row["criterion"]] = Assessment(row["score"], row["note"])
    facts = {}
    for row in Account.objects.filter(pk__in=account_ids).values("pk", "annual_budget", "size"):
        facts[row["pk"]] = TieringFacts(
            annual_budget=row["annual_budget"],
            size=row["size"],
            assessments=assessments.get(row["pk"], {}),
        )
    return facts
