"""CSV import and export: all or nothing, errors by line, column and reason, duplicates found,
the same rules as the pages, and exports that import again unchanged."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import imports, services
from accounts.choices import Industry
from accounts.imports import ImportMode, RowAction, RowError
from accounts.models import Account, Contact, TierChange

ACCOUNT_HEADER = ",".join(imports.ACCOUNT_COLUMNS)
CONTACT_HEADER = "account,name,title,department,phone,email,reports_to,is_active,notes"


def csv_file(*lines: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(("\r\n".join(lines) + "\r\n").encode(encoding))


def import_accounts(by, *lines, mode=ImportMode.CREATE, dry_run=False):
    return imports.import_accounts(by=by, file=csv_file(*lines), mode=mode, dry_run=dry_run)


def import_contacts(by, *lines, mode=ImportMode.CREATE, dry_run=False):
    return imports.import_contacts(by=by, file=csv_file(*lines), mode=mode, dry_run=dry_run)


def exported(lines) -> bytes:
    return "".join(lines).encode()


@pytest.fixture
def auto_parts(org):
    return services.account_create(
        by=org.rep1,
        owner_team=org.shanghai,
        name="Shanghai Auto Parts",
        industry=Industry.MANUFACTURING,
        region=org.east,
        owner=org.rep1,
        employees=1200,
        annual_budget=Decimal("8000000"),
    )


# Accounts ---------------------------------------------------------------------------------


def test_import_creates_accounts_through_the_service(org):
    result = import_accounts(
        org.rep1,
        ACCOUNT_HEADER,
        "Pudong Steel Group,manufacturing,East China,Shanghai,enterprise,12000,9000000,,Shanghai,rep1,customer",  # noqa: E501
        "Pudong Steel Trading,银行,east china,,Medium (100–999),,,pudong steel group,shanghai,REP1,潜在客户",  # noqa: E501
        'Minhang Motors,Banking,,,,"1,500",,,Shanghai,,',
    )

    assert result.ok, result.errors
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    group = Account.objects.get(name="Pudong Steel Group")
    assert (group.industry, group.region, group.size, group.status) == (
        "manufacturing",
        org.east,
        "enterprise",
        "customer",
    )
    assert (group.employees, group.annual_budget, group.owner) == (
        12000,
        Decimal("9000000.00"),
        org.rep1,
    )
    trading = Account.objects.get(name="Pudong Steel Trading")
    assert (trading.parent, trading.industry, trading.size, trading.status) == (
        group,
        "banking",
        "medium",
        "prospect",
    )
    motors = Account.objects.get(name="Minhang Motors")
    assert (motors.employees, motors.owner, motors.status) == (1500, None, "prospect")
    # Created by account_create: tiered, with the creation in the history.
    assert TierChange.objects.filter(account__in=[group, trading, motors]).count() == 3


def test_dry_run_writes_nothing_and_reports_what_it_would_do(org, auto_parts):
    result = import_accounts(
        org.rep1,
        "name,owner_team,employees",
        "Shanghai Auto Parts,Shanghai,1500",
        "Jinqiao Electronics,Shanghai,300",
        mode=ImportMode.UPDATE,
        dry_run=True,
    )

    assert result.ok and not result.committed
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert [(row.line, row.action, row.changed) for row in result.preview] == [
        (2, RowAction.UPDATE, ["employees"]),
        (3, RowAction.CREATE, []),
    ]
    assert Account.objects.count() == 1
    auto_parts.refresh_from_db()
    assert (auto_parts.employees, auto_parts.version) == (1200, 1)


def test_one_bad_row_imports_nothing_and_names_line_column_and_reason(org):
    result = import_accounts(
        org.rep1,
        "name,owner_team,employees,annual_budget",
        "Good One,Shanghai,10,100",
        "Bad One,Shanghai,many,100",
        "Good Two,Shanghai,20,-5",
    )

    assert not result.ok and not result.committed
    assert result.errors == [
        RowError(3, "employees", "“many” value must be an integer."),
        RowError(4, "annual_budget", "Ensure this value is greater than or equal to 0."),
    ]
    assert Account.objects.count() == 0
    assert TierChange.objects.count() == 0


def test_duplicate_names_in_the_file_are_refused_on_the_later_line(org):
    result = import_accounts(
        org.rep1,
        "name,owner_team",
        "Acme Ltd,Shanghai",
        "Other Co,Shanghai",
        "  ACME   ltd ,Shanghai",
    )

    assert result.errors == [RowError(4, "name", "Duplicate of line 2.")]
    assert Account.objects.count() == 0


def test_existing_name_is_refused_in_create_mode_ignoring_case_and_spacing(org, auto_parts):
    result = import_accounts(org.rep1, "name,owner_team", "shanghai  AUTO parts,Shanghai")

    assert result.errors == [RowError(2, "name", "An account with this name already exists.")]
    assert Account.objects.count() == 1


def test_update_mode_updates_a_visible_account_with_its_current_version(org, auto_parts):
    result = import_accounts(
        org.rep1,
        "name,industry,owner_team,employees,location",
        "SHANGHAI AUTO PARTS,Energy and utilities,Shanghai,1200,Jiading",
        mode=ImportMode.UPDATE,
    )

    assert result.committed
    assert (result.created, result.updated) == (0, 1)
    assert result.preview[0].changed == ["industry", "location", "name"]
    auto_parts.refresh_from_db()
    assert (auto_parts.name, auto_parts.industry, auto_parts.location, auto_parts.version) == (
        "SHANGHAI AUTO PARTS",
        "energy",
        "Jiading",
        2,
    )


def test_name_of_an_account_the_user_cannot_see_is_refused_without_details(org):
    hidden = services.account_create(
        by=org.manager_jiangsu, owner_team=org.jiangsu, name="Nanjing Steel"
    )

    result = import_accounts(
        org.rep1, "name,owner_team,location", "nanjing steel,Shanghai,Pudong", mode="update"
    )

    assert result.errors == [RowError(2, "name", "An account with this name already exists.")]
    hidden.refresh_from_db()
    assert (hidden.location, hidden.version) == ("", 1)


def test_parent_must_exist_or_come_earlier_in_the_file(org):
    result = import_accounts(
        org.rep1,
        "name,owner_team,parent",
        "Child Co,Shanghai,Parent Co",
        "Parent Co,Shanghai,",
        "Orphan Co,Shanghai,Nowhere Ltd",
        "Self Co,Shanghai,self co",
    )

    assert result.errors == [
        RowError(2, "parent", "The account “Parent Co” is on line 3; move it above this line."),
        RowError(4, "parent", "No account is called “Nowhere Ltd”."),
        RowError(5, "parent", "An account cannot be its own ancestor."),
    ]
    assert Account.objects.count() == 0


def test_a_reference_to_a_refused_row_says_so(org):
    result = import_accounts(
        org.rep1,
        "name,owner_team,employees,parent",
        "Parent Co,Shanghai,lots,",
        "Child Co,Shanghai,10,Parent Co",
    )

    assert result.errors[1] == RowError(
        3, "parent", "The account “Parent Co” is on line 2, which has errors."
    )


def test_parent_cycle_is_refused_by_the_model(org, auto_parts):
    subsidiary = services.account_create(
        by=org.rep1, owner_team=org.shanghai, name="Auto Parts Jiading", parent=auto_parts
    )

    result = import_accounts(
        org.rep1,
        "name,owner_team,parent",
        "Shanghai Auto Parts,Shanghai,Auto Parts Jiading",
        mode=ImportMode.UPDATE,
    )

    assert result.errors == [RowError(2, "parent", "An account cannot be its own ancestor.")]
    auto_parts.refresh_from_db()
    assert auto_parts.parent is None
    assert subsidiary.parent == auto_parts


def test_unknown_team_owner_and_choice_are_row_errors(org):
    result = import_accounts(
        org.rep1,
        "name,owner_team,owner,region,industry",
        "First Co,Atlantis,rep1,,",
        "Second Co,Shanghai,nobody,Shanghai,fishing",
    )

    assert result.errors == [
        RowError(2, "owner_team", "No team is called “Atlantis”."),
        RowError(3, "region", "No region is called “Shanghai”."),
        RowError(3, "owner", "No user has the username “nobody”."),
        RowError(3, "industry", "Value 'fishing' is not a valid choice."),
    ]


def test_owner_team_is_required_for_a_new_account(org):
    result = import_accounts(org.rep1, "name,owner_team", "Lonely Co,")

    assert result.errors == [RowError(2, "owner_team", "Name the team that owns the account.")]


def test_a_rep_cannot_import_accounts_for_another_team(org):
    result = import_accounts(org.rep1, "name,owner_team", "Nanjing Steel,Jiangsu")

    assert result.errors == [RowError(2, "owner_team", "You cannot create accounts for Jiangsu.")]
    assert Account.objects.count() == 0


def test_update_needs_the_right_to_edit_the_account(org, auto_parts):
    result = import_accounts(
        org.rep2, "name,owner_team,location", "Shanghai Auto Parts,Shanghai,Jiading", mode="update"
    )

    assert result.errors == [RowError(2, "name", "You cannot edit this account.")]
    auto_parts.refresh_from_db()
    assert (auto_parts.location, auto_parts.version) == ("", 1)


def test_the_owner_team_changes_by_transfer_not_by_import(org, auto_parts):
    result = import_accounts(
        org.manager_east,
        "name,owner_team",
        "Shanghai Auto Parts,Jiangsu",
        mode=ImportMode.UPDATE,
    )

    assert [(error.line, error.column) for error in result.errors] == [(2, "owner_team")]
    auto_parts.refresh_from_db()
    assert auto_parts.owner_team == org.shanghai


def test_errors_of_every_row_are_collected_up_to_a_cap(org, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ERRORS", 3)
    lines = [f"Company {number},Shanghai,many" for number in range(10)]

    result = import_accounts(org.rep1, "name,owner_team,employees", *lines)

    assert [error.line for error in result.errors] == [2, 3, 4]
    assert result.errors_truncated


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(org):
    result = import_accounts(
        org.rep1,
        "name,owner_team,location",
        ",,",
        "",
        'Multi Co,Shanghai,"Building 1',
        'Gate 2"',
        "Extra Co,Shanghai,Pudong,surprise",
        "Bad Co,Atlantis,",
    )

    assert result.errors == [
        RowError(6, "", "This row has more cells than the header has columns."),
        RowError(7, "owner_team", "No team is called “Atlantis”."),
    ]
    assert result.rows == 3


# Files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-8"])
def test_excel_encodings_are_read(org, encoding):
    file = csv_file(
        "name,industry,owner_team,location",
        "上海汽车零部件有限公司,制造业,Shanghai,上海市嘉定区",
        encoding=encoding,
    )

    result = imports.import_accounts(by=org.rep1, file=file, dry_run=False)

    assert result.ok, result.errors
    account = Account.objects.get()
    assert (account.name, account.industry, account.location) == (
        "上海汽车零部件有限公司",
        "manufacturing",
        "上海市嘉定区",
    )


def test_header_problems_refuse_the_file(org):
    result = import_accounts(org.rep1, "Name,industry,colour,industry", "Acme,other,red,other")

    assert result.errors == [
        RowError(
            1,
            "colour",
            "Unknown column. The columns are: " + ", ".join(imports.ACCOUNT_COLUMNS) + ".",
        ),
        RowError(1, "industry", "This column appears twice."),
        RowError(1, "owner_team", "This column is required."),
    ]
    assert result.rows == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty; it needs a header row."),
        ("name\r\n".encode("utf-16"), "This is a UTF-16 text file."),
        (b"name,owner_team\r\n" + b"x" * 200, "The file is larger than"),
    ],
)
def test_unreadable_files_are_refused_whole(org, monkeypatch, content, message):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)

    result = imports.import_accounts(by=org.rep1, file=io.BytesIO(content), dry_run=True)

    assert len(result.errors) == 1
    assert result.errors[0].line is None
    assert result.errors[0].message.startswith(message)


def test_too_many_rows_refuse_the_file(org, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)

    result = import_accounts(org.rep1, "name,owner_team", "A,Shanghai", "B,Shanghai", "C,Shanghai")

    assert [error.message for error in result.errors] == [
        "The file has more than 2 rows. Split it and import the parts."
    ]
    assert Account.objects.count() == 0


# Contacts ---------------------------------------------------------------------------------


def test_contacts_are_created_with_reporting_lines_from_the_file(org, auto_parts):
    result = import_contacts(
        org.rep1,
        CONTACT_HEADER,
        "Shanghai Auto Parts,Wang Wei,CIO,IT,+86 21 5555 0100,wang.wei@sap.example,,yes,",
        "shanghai auto parts,Li Na,IT Manager,IT,,li.na@sap.example,Wang Wei,是,Coach",
        "Shanghai Auto Parts,Zhang Min,Engineer,IT,,,LI.NA@sap.example,no,",
    )

    assert result.ok, result.errors
    assert result.created == 3
    wang, li, zhang = (
        Contact.objects.get(name=name) for name in ["Wang Wei", "Li Na", "Zhang Min"]
    )
    assert (wang.account, wang.reports_to, wang.phone, wang.is_active) == (
        auto_parts,
        None,
        "+86 21 5555 0100",
        True,
    )
    assert (li.reports_to, li.notes, zhang.reports_to, zhang.is_active) == (
        wang,
        "Coach",
        li,
        False,
    )


def test_bad_phone_and_email_refuse_the_file(org, auto_parts):
    result = import_contacts(
        org.rep1,
        "account,name,phone,email",
        "Shanghai Auto Parts,Wang Wei,+86 21 5555 0100,wang.wei@sap.example",
        "Shanghai Auto Parts,Li Na,call me,li.na(at)sap",
    )

    assert [(error.line, error.column) for error in result.errors] == [
        (3, "phone"),
        (3, "email"),
    ]
    assert result.errors[1].message == "Enter a valid email address."
    assert Contact.objects.count() == 0


def test_contact_references_are_explained(org, auto_parts):
    result = import_contacts(
        org.rep1,
        "account,name,email,reports_to",
        "Shanghai Auto Parts,Li Na,li.na@sap.example,Wang Wei",
        "Shanghai Auto Parts,Wang Wei,wang.wei@sap.example,",
        "Shanghai Auto Parts,Zhang Min,,Nobody Here",
        "Nanjing Steel,Zhao Lei,,",
        ",Qian Yu,,",
    )

    assert result.errors == [
        RowError(2, "reports_to", "The contact “Wang Wei” is on line 3; move it above this line."),
        RowError(4, "reports_to", "No contact of this account is “Nobody Here”."),
        RowError(5, "account", "No account is called “Nanjing Steel”."),
        RowError(6, "account", "Name the contact's account."),
    ]


def test_contacts_of_accounts_the_user_cannot_see_are_refused(org):
    services.account_create(by=org.manager_jiangsu, owner_team=org.jiangsu, name="Nanjing Steel")

    result = import_contacts(org.rep1, "account,name", "Nanjing Steel,Zhao Lei")

    assert result.errors == [RowError(2, "account", "No account is called “Nanjing Steel”.")]


def test_duplicate_contacts_in_the_file_and_in_the_database(org, auto_parts):
    services.contact_create(
        account=auto_parts, by=org.rep1, name="Wang Wei", email="wang.wei@sap.example"
    )

    result = import_contacts(
        org.rep1,
        "account,name,email",
        "Shanghai Auto Parts,Wei Wang,WANG.WEI@sap.example",
        "Shanghai Auto Parts,Li Na,",
        "Shanghai Auto Parts,li  na,",
    )

    assert result.errors == [
        RowError(2, "email", "This account already has a contact with this e-mail."),
        RowError(4, "name", "Duplicate of line 3."),
    ]
    assert Contact.objects.count() == 1


def test_contacts_update_by_email_in_update_mode(org, auto_parts):
    wang = services.contact_create(
        account=auto_parts, by=org.rep1, name="Wang Wei", email="wang.wei@sap.example"
    )

    result = import_contacts(
        org.rep1,
        "account,name,title,email,is_active",
        "Shanghai Auto Parts,Wang Wei,CTO,wang.wei@sap.example,",
        mode=ImportMode.UPDATE,
    )

    assert (result.updated, result.preview[0].changed) == (1, ["title"])
    wang.refresh_from_db()
    assert (wang.title, wang.is_active, wang.version) == ("CTO", True, 2)


# Export -----------------------------------------------------------------------------------


@pytest.fixture
def customers(org, auto_parts):
    services.account_create(
        by=org.rep1,
        owner_team=org.shanghai,
        name="A Parts Jiading",
        parent=auto_parts,
        size="large",
        status="customer",
        location="=cmd|' /C calc'!A0",
    )
    wang = services.contact_create(
        account=auto_parts,
        by=org.rep1,
        name="Wang Wei",
        email="wang.wei@sap.example",
        phone="+86 21 5555 0100",
    )
    services.contact_create(
        account=auto_parts, by=org.rep1, name="Li Na", reports_to=wang, notes="line 1\nline 2"
    )
    services.contact_create(account=auto_parts, by=org.rep1, name="Aaron Boss")
    services.account_create(by=org.manager_jiangsu, owner_team=org.jiangsu, name="Nanjing Steel")
    return auto_parts


def test_export_writes_the_import_columns_parents_first_and_escapes_formulas(org, customers):
    lines = list(imports.export_accounts(accounts=Account.objects.all()))

    assert lines[0] == ACCOUNT_HEADER + ",tier,score\r\n"
    assert [line.split(",")[0] for line in lines[1:]] == [
        "Nanjing Steel",
        "Shanghai Auto Parts",
        "A Parts Jiading",
    ]
    assert lines[2].startswith(
        "Shanghai Auto Parts,manufacturing,East China,,,1200,8000000.00,,Shanghai,rep1,prospect,C,"
    )
    assert "'=cmd|' /C calc'!A0" in lines[3]


def test_export_then_import_changes_nothing(org, customers):
    accounts = imports.export_accounts(accounts=Account.objects.filter(owner_team=org.shanghai))
    contacts = imports.export_contacts(accounts=Account.objects.all())
    versions = dict(Account.objects.values_list("pk", "version"))

    account_result = imports.import_accounts(
        by=org.rep1, file=io.BytesIO(exported(accounts)), mode=ImportMode.UPDATE, dry_run=False
    )
    contact_result = imports.import_contacts(
        by=org.rep1, file=io.BytesIO(exported(contacts)), mode=ImportMode.UPDATE, dry_run=False
    )

    assert account_result.ok and contact_result.ok, (account_result.errors, contact_result.errors)
    assert (account_result.unchanged, account_result.created, account_result.updated) == (2, 0, 0)
    assert (contact_result.unchanged, contact_result.created, contact_result.updated) == (3, 0, 0)
    assert dict(Account.objects.values_list("pk", "version")) == versions
    assert Account.objects.get(name="A Parts Jiading").location == "=cmd|' /C calc'!A0"


def test_exported_contacts_import_into_another_account_with_reporting_lines(org, customers):
    lines = list(imports.export_contacts(accounts=Account.objects.all()))
    assert [line.split(",")[1] for line in lines[1:4]] == ["Aaron Boss", "Wang Wei", "Li Na"]
    services.account_create(by=org.rep1, owner_team=org.shanghai, name="Copy Co")
    copied = b"".join(line.replace("Shanghai Auto Parts,", "Copy Co,").encode() for line in lines)

    result = imports.import_contacts(by=org.rep1, file=io.BytesIO(copied), dry_run=False)

    assert result.created == 3, result.errors
    li = Contact.objects.get(account__name="Copy Co", name="Li Na")
    assert (li.reports_to.name, li.reports_to.account.name, li.notes) == (
        "Wang Wei",
        "Copy Co",
        "line 1\nline 2",
    )


# Pages ------------------------------------------------------------------------------------


def upload(content: str, name: str = "accounts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode("utf-8-sig"), content_type="text/csv")


def test_import_and_export_pages_need_a_login(client):
    for name in ["accounts:import", "accounts:export", "accounts:contacts-export"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_import_page_offers_the_form_and_the_columns(org, client):
    client.force_login(org.rep1)

    response = client.get(reverse("accounts:import"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="import-form"' in content
    assert ", ".join(imports.CONTACT_COLUMNS) in content
    assert 'href="/accounts/export.csv"' in content


def test_preview_page_lists_the_errors_and_writes_nothing(org, client):
    client.force_login(org.rep1)

    response = client.post(
        reverse("accounts:import"),
        {
            "kind": "accounts",
            "mode": "create",
            "action": "preview",
            "file": upload("name,owner_team,employees\nAcme,Shanghai,many\n"),
        },
    )

    assert response.status_code == 200
    assert response.context["result"].errors == [
        RowError(2, "employees", "“many” value must be an integer.")
    ]
    content = response.content.decode()
    assert 'data-testid="import-errors"' in content
    assert "<code>employees</code>" in content
    assert "value must be an integer" in content
    assert 'data-testid="import-now"' not in content
    assert Account.objects.count() == 0


def test_htmx_preview_then_import_writes_and_redirects_with_the_counts(org, client):
    client.force_login(org.rep1)
    data = {"kind": "accounts", "mode": "create"}
    content = "name,owner_team\nAcme,Shanghai\nBeta Co,Shanghai\n"

    preview = client.post(
        reverse("accounts:import"),
        {**data, "action": "preview", "file": upload(content)},
        HTTP_HX_REQUEST="true",
    )
    assert preview.templates[0].name == "accounts/_import_result.html"
    assert 'data-testid="import-now"' in preview.content.decode()
    assert Account.objects.count() == 0

    done = client.post(
        reverse("accounts:import"),
        {**data, "action": "import", "file": upload(content)},
        HTTP_HX_REQUEST="true",
    )
    assert done["HX-Redirect"] == reverse("accounts:list")
    assert Account.objects.count() == 2
    page = client.get(reverse("accounts:list"))
    assert "Import done: 2 new, 0 updated, 0 unchanged." in page.content.decode()


def test_import_without_a_file_shows_the_form_error(org, client):
    client.force_login(org.rep1)

    response = client.post(reverse("accounts:import"), {"kind": "accounts", "mode": "create"})

    assert response.status_code == 200
    assert "file" in response.context["form"].errors


def test_export_page_streams_bom_csv_with_the_list_filters_and_visibility(org, client, customers):
    client.force_login(org.manager_east)

    response = client.get(reverse("accounts:export"), {"q": "parts"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="accounts-')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffname,industry,")
    assert [line.split(",")[0] for line in body.splitlines()[1:]] == [
        "Shanghai Auto Parts",
        "A Parts Jiading",
    ]


def test_export_shows_a_rep_only_the_accounts_they_see(org, client, customers):
    client.force_login(org.rep3)  # Jiangsu

    accounts = b"".join(client.get(reverse("accounts:export")).streaming_content).decode()
    contacts = b"".join(client.get(reverse("accounts:contacts-export")).streaming_content)

    assert [line.split(",")[0] for line in accounts.splitlines()[1:]] == ["Nanjing Steel"]
    assert contacts.decode().splitlines()[1:] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_file_chosen_for_the_preview_is_the_one_imported(
    browser, live_server, org, tmp_path
):
    path = tmp_path / "accounts.csv"
    path.write_bytes("name,owner_team\nAcme,Shanghai\nBeta Co,Shanghai\n".encode("utf-8-sig"))
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", "rep1")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}{reverse('accounts:import')}")
    page.set_input_files("#id_file", str(path))
    page.click("[data-testid=preview]")
    page.wait_for_selector("[data-testid=import-now]")
    assert page.inner_text("[data-testid=count-created]") == "2"
    assert Account.objects.count() == 0

    page.click("[data-testid=import-now]")  # posts the same form, file still chosen
    page.wait_for_url(f"{live_server.url}{reverse('accounts:list')}")
    assert "Import done: 2 new, 0 updated, 0 unchanged." in page.inner_text("main")
    assert sorted(Account.objects.values_list("name", flat=True)) == ["Acme", "Beta Co"]
