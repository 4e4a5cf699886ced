"""Files of a presales request: uploaded on the request form and the request page (or through
the API), listed on the page, downloaded only by those who see the request, removed by their
uploader while the request is open. Empty files, files beyond the size limit and programs are
refused with a message on the field, and nothing is stored."""

import datetime
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from resources import services
from resources.choices import RequestStatus, RequestType
from resources.exceptions import ResourceRuleError
from resources.models import RequestAttachment, ResourceRequest
from salesops.exceptions import PermissionRefused

S = RequestStatus
TODAY = timezone.localdate()
PDF = b"%PDF-1.4 the customer's RFP"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(name="rfp.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_files(media) -> list[str]:
    return sorted(path.name for path in media.rglob("*") if path.is_file())


def page(response) -> str:
    return unescape(response.content.decode())


def download_url(request, attachment):
    return reverse("resources:attachment", args=[request.pk, attachment.pk])


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def attachments_url(request) -> str:
    return f"/api/v1/resource-requests/{request.pk}/attachments/"


# Pages ------------------------------------------------------------------------------------


def test_a_rep_sends_files_with_the_request_and_downloads_them(org, client, deal, media):
    client.force_login(org.rep1)
    response = client.post(
        reverse("resources:create"),
        {
            "opportunity": deal.pk,
            "kind": RequestType.TECHNICAL_EXCHANGE,
            "estimated_hours": "6",
            "wanted_start": TODAY.isoformat(),
            "wanted_end": (TODAY + datetime.timedelta(days=5)).isoformat(),
            "justification": "Their IT wants to talk architecture.",
            "files": [upload("rfp.pdf"), upload("network.png", b"\x89PNG diagram")],
        },
    )
    request = ResourceRequest.objects.get()
    assert response.status_code == 302
    files = list(request.attachments.order_by("name"))
    assert [(file.name, file.size, file.uploaded_by) for file in files] == [
        ("network.png", 12, org.rep1),
        ("rfp.pdf", len(PDF), org.rep1),
    ]
    # Stored under a name nobody can guess, not the one uploaded.
    assert len(stored_files(media)) == 2
    assert "rfp.pdf" not in stored_files(media)

    detail = page(client.get(reverse("resources:detail", args=[request.pk])))
    assert detail.count('data-testid="attachment"') == 2
    assert download_url(request, files[1]) in detail
    assert files[1].file.url not in detail

    downloaded = client.get(download_url(request, files[1]))
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF
    assert 'filename="rfp.pdf"' in downloaded["Content-Disposition"]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"", "empty.txt is empty."),
        ("setup.exe", b"anything", "setup.exe is a program: executable files are not accepted."),
        (
            "invoice.pdf",
            b"MZ\x90\x00PE",
            "invoice.pdf is a program: executable files are not accepted.",
        ),
        (
            "run.txt",
            b"#!/bin/sh\nrm -rf /",
            "run.txt is a program: executable files are not accepted.",
        ),
    ],
    ids=["empty", "exe-name", "exe-content", "script"],
)
def test_the_request_form_refuses_bad_files_and_saves_nothing(
    org, client, deal, media, name, content, message
):
    client.force_login(org.rep1)
    response = client.post(
        reverse("resources:create"),
        {
            "opportunity": deal.pk,
            "kind": RequestType.TECHNICAL_EXCHANGE,
            "estimated_hours": "6",
            "wanted_start": TODAY.isoformat(),
            "wanted_end": TODAY.isoformat(),
            "justification": "Why not.",
            "files": [upload("fine.pdf"), upload(name, content)],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"files": [message]}
    assert not ResourceRequest.objects.exists()
    assert stored_files(media) == []


def test_the_size_limit_comes_from_the_settings(org, client, make_request, settings, media):
    settings.PRESALES_ATTACHMENT_MAX_BYTES = 1024 * 1024  # 1 MB
    request = make_request()
    client.force_login(org.rep1)
    url = reverse("resources:attachment-add", args=[request.pk])

    refused = client.post(url, {"files": [upload("big.pdf", b"x" * (1024 * 1024 + 1))]})
    accepted = client.post(url, {"files": [upload("fits.pdf", b"x" * 1024 * 1024)]})

    assert refused.status_code == 400
    assert refused.context["attachment_form"].errors == {
        "files": ["big.pdf is larger than 1.0\xa0MB."]
    }
    assert accepted.status_code == 302
    assert [file.name for file in request.attachments.all()] == ["fits.pdf"]


def test_without_a_setting_the_limit_is_20_mb(settings):
    del settings.PRESALES_ATTACHMENT_MAX_BYTES
    assert services.attachment_max_bytes() == 20 * 1024 * 1024


def test_who_may_attach_on_the_request_page(org, client, make_request, bring_to, presales):
    request = bring_to(make_request(), S.DISPATCHED)
    detail_url = reverse("resources:detail", args=[request.pk])
    url = reverse("resources:attachment-add", args=[request.pk])
    for user in (org.rep1, org.lead, org.engineer):
        client.force_login(user)
        assert 'data-testid="attachment-form"' in page(client.get(detail_url))
        assert client.post(url, {"files": [upload(f"{user.username}.pdf")]}).status_code == 302
    assert sorted(request.attachments.values_list("name", flat=True)) == [
        "engineer1.pdf",
        "presales.pdf",
        "rep1.pdf",
    ]

    # Closed requests take no more files.
    request = bring_to(make_request(), S.CANCELLED)
    client.force_login(org.rep1)
    assert 'data-testid="attachment-form"' not in page(
        client.get(reverse("resources:detail", args=[request.pk]))
    )
    refused = client.post(
        reverse("resources:attachment-add", args=[request.pk]), {"files": [upload()]}, follow=True
    )
    assert refused.redirect_chain == [
        (f"{reverse('resources:detail', args=[request.pk])}#attachments", 302)
    ]
    assert "Files are added to open requests only." in page(refused)
    assert not request.attachments.exists()


def test_someone_who_cannot_see_the_request_cannot_download(
    org, client, make_request, bring_to, presales
):
    request = make_request()
    attachment = services.attachment_add(request=request, by=org.rep1, files=[upload()])[0]
    url = download_url(request, attachment)

    # A draft: the lead does not see it yet, nor an engineer, nor a rep of another team.
    for user, expected in (
        (org.rep1, 200),
        (org.manager_shanghai, 200),
        (org.lead, 404),
        (org.engineer, 404),
        (org.rep4, 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == expected, user
    client.logout()
    assert client.get(url).status_code == 302  # to the login page

    bring_to(request, S.SUBMITTED)
    client.force_login(org.lead)
    assert client.get(url).status_code == 200
    # An attachment id under another request's address is not found either.
    other = make_request()
    client.force_login(org.rep1)
    assert client.get(download_url(other, attachment)).status_code == 404


def test_the_uploader_removes_their_file_while_the_request_is_open(
    org, client, make_request, bring_to, media, django_capture_on_commit_callbacks
):
    request = bring_to(make_request(), S.SUBMITTED)
    mine = services.attachment_add(request=request, by=org.rep1, files=[upload("mine.pdf")])[0]
    leads = services.attachment_add(request=request, by=org.lead, files=[upload("lead.pdf")])[0]
    detail_url = reverse("resources:detail", args=[request.pk])

    client.force_login(org.rep1)
    detail = page(client.get(detail_url))
    assert reverse("resources:attachment-remove", args=[request.pk, mine.pk]) in detail
    assert reverse("resources:attachment-remove", args=[request.pk, leads.pk]) not in detail

    refused = client.post(
        reverse("resources:attachment-remove", args=[request.pk, leads.pk]), follow=True
    )
    assert "Only the person who added a file removes it." in page(refused)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("resources:attachment-remove", args=[request.pk, mine.pk]))
    assert response.status_code == 302
    assert list(request.attachments.values_list("name", flat=True)) == ["lead.pdf"]
    assert len(stored_files(media)) == 1

    services.request_cancel(request=request, by=org.rep1, reason="Deal stopped")
    with pytest.raises(ResourceRuleError) as refused:
        services.attachment_remove(attachment=leads, by=org.lead)
    assert refused.value.detail == "Files are removed from open requests only."
    with pytest.raises(PermissionRefused):
        services.attachment_remove(attachment=leads, by=org.rep1)
    assert RequestAttachment.objects.count() == 1


# API --------------------------------------------------------------------------------------


def test_api_lists_uploads_downloads_and_removes_files(org, make_request, media):
    request = make_request()
    client = api(org.rep1)

    created = client.post(
        attachments_url(request),
        {"files": [upload("rfp.pdf"), upload("notes.txt", b"call notes")]},
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    assert [(row["name"], row["size"]) for row in created.json()] == [
        ("rfp.pdf", len(PDF)),
        ("notes.txt", 10),
    ]
    listed = client.get(attachments_url(request))
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()] == ["rfp.pdf", "notes.txt"]
    rfp = listed.json()[0]
    assert rfp["uploaded_by"]["id"] == org.rep1.pk
    assert rfp["download_url"].endswith(
        f"/api/v1/resource-requests/{request.pk}/attachments/{rfp['id']}/download/"
    )

    downloaded = client.get(rfp["download_url"])
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF

    assert (
        api(org.manager_shanghai).delete(f"{attachments_url(request)}{rfp['id']}/").status_code
        == 403
    )
    assert client.delete(f"{attachments_url(request)}{rfp['id']}/").status_code == 204
    assert [row["name"] for row in client.get(attachments_url(request)).json()] == ["notes.txt"]


def test_api_refuses_bad_files_with_field_messages(org, make_request, settings, media):
    settings.PRESALES_ATTACHMENT_MAX_BYTES = 100
    request = make_request()
    client = api(org.rep1)

    response = client.post(
        attachments_url(request),
        {
            "files": [
                upload("ok.pdf"),
                upload("empty.pdf", b""),
                upload("tool.exe", b"MZ"),
                upload("huge.pdf", b"x" * 101),
            ]
        },
        format="multipart",
    )
    nothing = client.post(attachments_url(request), {}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {
        "files": [
            "empty.pdf is empty.",
            "tool.exe is a program: executable files are not accepted.",
            "huge.pdf is larger than 100\xa0bytes.",
        ]
    }
    assert nothing.status_code == 400
    assert "files" in nothing.json()
    assert not request.attachments.exists()
    assert stored_files(media) == []


def test_api_hides_the_files_of_requests_the_caller_cannot_see(org, make_request, bring_to):
    request = make_request()
    attachment = services.attachment_add(request=request, by=org.rep1, files=[upload()])[0]
    base = attachments_url(request)
    for user in (org.rep4, org.engineer, org.lead):
        client = api(user)
        assert client.get(base).status_code == 404
        assert client.get(f"{base}{attachment.pk}/download/").status_code == 404
        assert client.post(base, {"files": [upload()]}, format="multipart").status_code == 404
        assert client.delete(f"{base}{attachment.pk}/").status_code == 404
    assert request.attachments.count() == 1
