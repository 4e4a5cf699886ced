"""Deals are visible in the admin for support, but change only through the services."""

from django.urls import reverse


def test_admin_lists_deals_but_cannot_change_them(org, make_deal, client):
    deal = make_deal()
    client.force_login(org.admin)
    listing = client.get(reverse("admin:opportunities_opportunity_changelist"))
    assert listing.status_code == 200
    assert "MES rollout" in listing.content.decode()
    page = client.get(reverse("admin:opportunities_opportunity_change", args=[deal.pk]))
    assert page.status_code == 200  # view only
    response = client.post(
        reverse("admin:opportunities_opportunity_change", args=[deal.pk]), {"name": "Hacked"}
    )
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.name == "MES rollout"
