"""CSV import and export of accounts and contacts.

An import runs every row through the services the pages use (account_create, account_update,
contact_create, contact_update), so the model's validation and the services' rules apply
unchanged. All rows run inside one transaction that is rolled back on a dry run and whenever
any row has an error: a file is imported whole or not at all. The result lists every error as
(line, column, reason) and previews the first rows.

An export writes the columns the import reads, so a file can be exported, edited in Excel and
imported again; in "update" mode an unchanged file changes nothing.
"""

import codecs
import csv
import dataclasses
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.choices import TeamKind
from salesops.exceptions import DomainError, PermissionRefused
from salesops.models import Team, User

from . import services
from .choices import AccountSize, AccountStatus, Industry
from .models import Account, Contact
from .selectors import account_list_visible_to

MAX_BYTES = 5 * 1024 * 1024
# An import runs within one web request, and each new account costs the services about 10 ms
# (validation, tiering, history): 2,000 rows take some 20 s, inside gunicorn's 30 s timeout.
# A bigger file is split; each part is still imported whole or not at all.
MAX_ROWS = 2_000
MAX_ERRORS = 200
PREVIEW_ROWS = 20
EXPORT_BATCH = 500

ACCOUNT_COLUMNS = [
    "name",
    "industry",
    "region",
    "location",
    "size",
    "employees",
    "annual_budget",
    "parent",
    "owner_team",
    "owner",
    "status",
]
# Written by the export for reading; the import accepts and ignores them.
ACCOUNT_READ_ONLY_COLUMNS = ["tier", "score"]
CONTACT_COLUMNS = [
    "account",
    "name",
    "title",
    "department",
    "phone",
    "email",
    "reports_to",
    "is_active",
    "notes",
]

TRUE_WORDS = {"true", "t", "yes", "y", "1", "是"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "否"}
# A cell that starts like this is a formula to Excel: the export prefixes an apostrophe
# (unless it is a plain number or phone number) and the import takes it off again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?[0-9][0-9 ().\-]*(?:(?:ext|x|转)\s*[0-9]{1,6})?$")


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", gettext_lazy("Accounts")
    CONTACTS = "contacts", gettext_lazy("Contacts")


class ImportMode(models.TextChoices):
    CREATE = "create", gettext_lazy("Add new rows only; a row that exists already is an error")
    UPDATE = "update", gettext_lazy("Add new rows and update the ones that exist")


class RowAction(models.TextChoices):
    CREATE = "create", gettext_lazy("new")
    UPDATE = "update", gettext_lazy("update")
    UNCHANGED = "unchanged", gettext_lazy("unchanged")
    ERROR = "error", gettext_lazy("error")


@dataclasses.dataclass(frozen=True)
class RowError:
    """One reason a file or a row is refused. `line` is the line of the file where the row
    starts, the header being line 1 (None when the whole file is refused); `column` is empty
    when the reason concerns the whole row."""

    line: int | None
    column: str
    message: str


@dataclasses.dataclass
class PreviewRow:
    line: int
    action: str
    cells: list[str]
    changed: list[str] = dataclasses.field(default_factory=list)

    def get_action_display(self) -> str:
        return RowAction(self.action).label


@dataclasses.dataclass
class ImportResult:
    kind: str
    mode: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = dataclasses.field(default_factory=list)
    errors_truncated: bool = False
    preview_columns: list[str] = dataclasses.field(default_factory=list)
    preview: list[PreviewRow] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def get_kind_display(self) -> str:
        return ImportKind(self.kind).label

    @property
    def committed(self) -> bool:
        """The rows were written: no errors and not a dry run."""
        return self.ok and not self.dry_run


def import_accounts(
    *, by: User, file, mode: str = ImportMode.CREATE, dry_run: bool
) -> ImportResult:
    """Create (and in update mode, update) the accounts of a CSV file, all or none.

    An account is matched by name, ignoring case and spacing, among the accounts `by` sees.
    A parent must be an existing account or one on an earlier line of the file. The owner team
    of an existing account is changed by a transfer, not by an import.
    """
    return _import(
        _AccountRows, kind=ImportKind.ACCOUNTS, by=by, file=file, mode=mode, dry_run=dry_run
    )


def import_contacts(
    *, by: User, file, mode: str = ImportMode.CREATE, dry_run: bool
) -> ImportResult:
    """Create (and in update mode, update) the contacts of a CSV file, all or none.

    The account is named as in the accounts `by` sees. Within it a contact is matched by
    e-mail when the row has one, else by name. `reports_to` names a contact of the same
    account (by e-mail or name) that exists or comes on an earlier line of the file.
    """
    return _import(
        _ContactRows, kind=ImportKind.CONTACTS, by=by, file=file, mode=mode, dry_run=dry_run
    )


def export_accounts(*, accounts: QuerySet[Account]) -> Iterator[str]:
    """CSV lines (header first) of the accounts in the import's columns, plus the read-only
    tier and score. Parents come before their subsidiaries, so the file imports as it is."""
    writer = csv.writer(_Echo())
    yield writer.writerow(ACCOUNT_COLUMNS + ACCOUNT_READ_ONLY_COLUMNS)
    order = _parents_first(accounts.order_by("name", "pk").values_list("pk", "parent_id"))
    related = Account.objects.select_related("region", "parent", "owner_team", "owner")
    for start in range(0, len(order), EXPORT_BATCH):
        batch = order[start : start + EXPORT_BATCH]
        by_pk = related.in_bulk(batch)
        for pk in batch:
            account = by_pk.get(pk)
            if account is None:
                continue  # deleted meanwhile
            yield writer.writerow(
                _escape(cell)
                for cell in [
                    account.name,
                    account.industry,
                    _name_of(account.region),
                    account.location,
                    account.size,
                    account.employees,
                    account.annual_budget,
                    _name_of(account.parent),
                    _name_of(account.owner_team),
                    account.owner.username if account.owner_id else "",
                    account.status,
                    account.tier,
                    account.score,
                ]
            )


def export_contacts(*, accounts: QuerySet[Account]) -> Iterator[str]:
    """CSV lines (header first) of the contacts of the given accounts, grouped by account,
    each manager before the people who report to them."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CONTACT_COLUMNS)
    contacts = Contact.objects.filter(account__in=accounts.values("pk"))
    order = _parents_first(
        contacts.order_by("account__name", "account_id", "name", "pk").values_list(
            "pk", "reports_to_id"
        )
    )
    related = Contact.objects.select_related("account", "reports_to")
    for start in range(0, len(order), EXPORT_BATCH):
        batch = order[start : start + EXPORT_BATCH]
        by_pk = related.in_bulk(batch)
        for pk in batch:
            contact = by_pk.get(pk)
            if contact is None:
                continue  # deleted meanwhile
            boss = contact.reports_to
            yield writer.writerow(
                _escape(cell)
                for cell in [
                    contact.account.name,
                    contact.name,
                    contact.title,
                    contact.department,
                    contact.phone,
                    contact.email,
                    (boss.email or boss.name) if boss else "",
                    "yes" if contact.is_active else "no",
                    contact.notes,
                ]
            )


# Import machinery ---------------------------------------------------------------------------


@dataclasses.dataclass
class _Record:
    line: int
    values: dict[str, str]
    has_extra_cells: bool = False


@dataclasses.dataclass
class _Outcome:
    action: str
    changed: list[str] = dataclasses.field(default_factory=list)


class _FileRefused(Exception):
    def __init__(self, *errors: RowError):
        super().__init__(errors)
        self.errors = list(errors)


class _RowRefused(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(errors)
        self.errors = errors


def _import(rows_class, *, kind: str, by: User, file, mode: str, dry_run: bool) -> ImportResult:
    mode = ImportMode(mode)
    result = ImportResult(
        kind=kind, mode=mode, dry_run=dry_run, preview_columns=rows_class.preview_columns
    )
    try:
        records = _read(file, rows_class)
    except _FileRefused as refused:
        result.errors = refused.errors
        return result
    result.rows = len(records)
    with transaction.atomic():
        rows = rows_class(by=by, mode=mode, records=records)
        for record in records:
            if len(result.errors) >= MAX_ERRORS:
                result.errors_truncated = True
                break
            try:
                # A savepoint per row: a refused row leaves nothing behind, and the rows after
                # it are still checked against everything written before it.
                with transaction.atomic():
                    outcome = rows.import_row(record)
            except _RowRefused as refused:
                result.errors.extend(refused.errors)
                outcome = _Outcome(RowAction.ERROR)
            except IntegrityError:
                message = _(
                    "The database refused this row; somebody may have changed the same "
                    "data meanwhile. Try again."
                )
                result.errors.append(RowError(record.line, "", message))
                outcome = _Outcome(RowAction.ERROR)
            if outcome.action == RowAction.ERROR:
                rows.failed_lines.add(record.line)
            _count(result, outcome.action)
            if len(result.preview) < PREVIEW_ROWS:
                cells = [record.values.get(column, "") for column in result.preview_columns]
                result.preview.append(
                    PreviewRow(record.line, outcome.action, cells, outcome.changed)
                )
        if dry_run or result.errors:
            transaction.set_rollback(True)
    return result


def _count(result: ImportResult, action: str) -> None:
    if action == RowAction.CREATE:
        result.created += 1
    elif action == RowAction.UPDATE:
        result.updated += 1
    elif action == RowAction.UNCHANGED:
        result.unchanged += 1


def _read(file, rows_class) -> list[_Record]:
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        message = _("The file is larger than %(megabytes)s MB. Split it and import the parts.")
        raise _FileRefused(RowError(None, "", message % {"megabytes": MAX_BYTES // 1024 // 1024}))
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header, records, end_of_previous = None, [], 0
    try:
        for cells in reader:
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # Excel leaves empty lines (",,,,") at the end
            if header is None:
                header = _header(cells, line, rows_class)
                continue
            if len(records) == MAX_ROWS:
                message = _("The file has more than %(rows)s rows. Split it and import the parts.")
                raise _FileRefused(RowError(None, "", message % {"rows": MAX_ROWS}))
            records.append(_record(line, header, cells))
    except csv.Error as error:
        message = _("This line is not valid CSV: %(reason)s") % {"reason": error}
        raise _FileRefused(RowError(end_of_previous + 1, "", message)) from None
    if header is None:
        raise _FileRefused(RowError(None, "", _("The file is empty; it needs a header row.")))
    return records


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        message = _("This is a UTF-16 text file. Save it as “CSV UTF-8 (comma delimited)”.")
        raise _FileRefused(RowError(None, "", message))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel in China saves "CSV (comma delimited)" as GBK, which GB18030 contains.
        return data.decode("gb18030")
    except UnicodeDecodeError:
        message = _(
            "The file is neither UTF-8 nor GB18030 text. Save it as “CSV UTF-8 (comma delimited)”."
        )
        raise _FileRefused(RowError(None, "", message)) from None


def _header(cells: list[str], line: int, rows_class) -> list[str | None]:
    """The import column of each cell of the header row: None for a column to skip."""
    columns, errors, seen = [], [], set()
    for cell in cells:
        column = "_".join(cell.replace("\ufeff", "").lower().split())
        if not column:
            columns.append(None)
            continue
        if column in seen:
            errors.append(RowError(line, cell.strip(), _("This column appears twice.")))
        elif column not in rows_class.columns and column not in rows_class.read_only_columns:
            message = _("Unknown column. The columns are: %(columns)s.")
            known = ", ".join(rows_class.columns)
            errors.append(RowError(line, cell.strip(), message % {"columns": known}))
        seen.add(column)
        columns.append(column if column in rows_class.columns else None)
    for column in rows_class.required_columns:
        if column not in seen:
            errors.append(RowError(line, column, _("This column is required.")))
    if errors:
        raise _FileRefused(*errors)
    return columns


def _record(line: int, header: list[str | None], cells: list[str]) -> _Record:
    record = _Record(line, {column: "" for column in header if column})
    for index, cell in enumerate(cells):
        if index >= len(header):
            record.has_extra_cells = record.has_extra_cells or bool(cell.strip())
        elif header[index]:
            record.values[header[index]] = _unescape(cell.strip())
    return record


def _unescape(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _escape(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _normalise(value: str) -> str:
    return " ".join(value.split())


def _key(value: str) -> str:
    """How names are compared: ignoring case and spacing."""
    return _normalise(value).casefold()


def _choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Each value of a choice set by its code and by its label in every language."""
    lookup = {}
    for language, _language_name in settings.LANGUAGES:
        with translation.override(language):
            lookup.update({_key(str(label)): value for value, label in choices.choices})
    lookup.update({_key(value): value for value in choices.values})
    return lookup


def _errors_from(error: Exception, line: int, *, row_column: str) -> list[RowError]:
    """A service's refusal as row errors. Rules over the whole row (a unique name, a
    permission) are reported on `row_column`."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return [
            RowError(line, row_column if column == NON_FIELD_ERRORS else column, message)
            for column, messages in error.message_dict.items()
            for message in messages
        ]
    if isinstance(error, ValidationError):
        return [RowError(line, row_column, message) for message in error.messages]
    return [RowError(line, row_column, message) for message in [error.detail, *error.reasons]]


def _differs(instance: models.Model, name: str, value) -> bool:
    field = instance._meta.get_field(name)
    if field.is_relation:
        return getattr(instance, field.attname) != (value.pk if value is not None else None)
    return getattr(instance, name) != value


class _Rows:
    """What the rows of one kind of file mean. Subclasses turn a record into a service call."""

    columns: list[str] = []
    read_only_columns: list[str] = []
    required_columns: list[str] = []
    preview_columns: list[str] = []

    def __init__(self, *, by: User, mode: str, records: list[_Record]):
        self.by, self.mode = by, mode
        self.failed_lines: set[int] = set()
        self.visible_accounts = account_list_visible_to(by)
        self._teams: dict[str, Team | None] = {}
        self._users: dict[str, User | None] = {}

    def import_row(self, record: _Record) -> _Outcome:
        raise NotImplementedError

    def _parse_fields(self, record: _Record, parsers: dict, errors: list[RowError]) -> dict:
        """The model values of the record's columns that are in the file. A parser returns
        _SKIP for a blank cell that leaves the field alone (its default on create)."""
        fields = {}
        for column, parse in parsers.items():
            if column not in record.values:
                continue
            try:
                value = parse(record.values[column])
            except ValidationError as error:
                errors.extend(RowError(record.line, column, message) for message in error.messages)
                continue
            if value is not _SKIP:
                fields[column] = value
        return fields

    def _visible_account(self, name: str) -> Account | None:
        name = _normalise(name)
        return self.visible_accounts.filter(name__iexact=name).first() if name else None

    def _team(self, name: str) -> Team:
        key = _key(name)
        if key not in self._teams:
            self._teams[key] = Team.objects.filter(name__iexact=_normalise(name)).first()
        if self._teams[key] is None:
            raise ValidationError(_("No team is called “%(name)s”.") % {"name": name})
        return self._teams[key]

    def _region(self, name: str) -> Team:
        # Only regions, as the account form offers them; team names are unique across kinds.
        try:
            team = self._team(name)
        except ValidationError:
            team = None
        if team is None or team.kind != TeamKind.REGION:
            raise ValidationError(_("No region is called “%(name)s”.") % {"name": name})
        return team

    def _user(self, username: str) -> User:
        key = username.casefold()
        if key not in self._users:
            matches = list(User.objects.filter(username__iexact=username)[:2])
            exact = [user for user in matches if user.username == username]
            self._users[key] = (exact or matches)[0] if len(exact or matches) == 1 else None
        if self._users[key] is None:
            raise ValidationError(_("No user has the username “%(name)s”.") % {"name": username})
        return self._users[key]

    def _place_in_file(self, first_line: int | None, line: int) -> str:
        """Why a reference to a row of the file found nothing: "failed" when that row has
        errors, "later" when it comes after this one, "" otherwise."""
        if first_line is not None and first_line in self.failed_lines:
            return "failed"
        if first_line is not None and first_line > line:
            return "later"
        return ""


_SKIP = object()


def _blank_means(value):
    """A parser wrapper: a blank cell gives `value` (or _SKIP), others go to the parser."""

    def wrap(parse):
        return lambda raw: value if raw == "" else parse(raw)

    return wrap


class _AccountRows(_Rows):
    columns = ACCOUNT_COLUMNS
    read_only_columns = ACCOUNT_READ_ONLY_COLUMNS
    required_columns = ["name", "owner_team"]
    preview_columns = ["name", "industry", "owner_team", "owner", "parent", "status"]

    def __init__(self, *, by: User, mode: str, records: list[_Record]):
        super().__init__(by=by, mode=mode, records=records)
        self.first_line_of: dict[str, int] = {}
        for record in records:
            if record.values["name"].strip():
                self.first_line_of.setdefault(_key(record.values["name"]), record.line)
        self.choices = {
            "industry": _choice_lookup(Industry),
            "size": _choice_lookup(AccountSize),
            "status": _choice_lookup(AccountStatus),
        }

    def import_row(self, record: _Record) -> _Outcome:
        line, values = record.line, record.values
        name = _normalise(values["name"])
        first_line = self.first_line_of.get(_key(name))
        if name and first_line != line:
            message = _("Duplicate of line %(line)s.") % {"line": first_line}
            raise _RowRefused([RowError(line, "name", message)])
        errors = []
        if record.has_extra_cells:
            message = _("This row has more cells than the header has columns.")
            errors.append(RowError(line, "", message))
        existing = None
        if name and self.mode == ImportMode.UPDATE:
            existing = self._visible_account(name)
        owner_team = None
        if values["owner_team"]:
            try:
                owner_team = self._team(values["owner_team"])
            except ValidationError as error:
                errors.extend(RowError(line, "owner_team", text) for text in error.messages)
        fields = self._parse_fields(record, self._parsers(record, existing), errors)
        fields["name"] = name
        if existing is None:
            return self._create(record, owner_team, fields, errors)
        return self._update(record, existing, owner_team, fields, errors)

    def _create(self, record, owner_team, fields, errors) -> _Outcome:
        if owner_team is None:
            if not record.values["owner_team"]:
                message = _("Name the team that owns the account.")
                errors.append(RowError(record.line, "owner_team", message))
            raise _RowRefused(errors)
        try:
            services.account_create(by=self.by, owner_team=owner_team, **fields)
        except PermissionRefused as error:
            errors.extend(_errors_from(error, record.line, row_column="owner_team"))
        except (ValidationError, DomainError) as error:
            errors.extend(_errors_from(error, record.line, row_column="name"))
        if errors:
            raise _RowRefused(errors)
        return _Outcome(RowAction.CREATE)

    def _update(self, record, existing, owner_team, fields, errors) -> _Outcome:
        if owner_team is not None and owner_team.pk != existing.owner_team_id:
            message = _("Moving an account to another team is a transfer; do it on its page.")
            errors.append(RowError(record.line, "owner_team", message))
        changed = {name: value for name, value in fields.items() if _differs(existing, name, value)}
        if changed:
            try:
                services.account_update(
                    account=existing, by=self.by, version=existing.version, **changed
                )
            except (ValidationError, DomainError) as error:
                errors.extend(_errors_from(error, record.line, row_column="name"))
        if errors:
            raise _RowRefused(errors)
        action = RowAction.UPDATE if changed else RowAction.UNCHANGED
        return _Outcome(action, changed=sorted(changed))

    def _parsers(self, record: _Record, existing: Account | None) -> dict:
        return {
            "industry": _blank_means(_SKIP)(lambda raw: self._choice("industry", raw)),
            "region": _blank_means(None)(self._region),
            "location": str,
            "size": _blank_means("")(lambda raw: self._choice("size", raw)),
            "employees": _blank_means(None)(lambda raw: _number("employees", raw)),
            "annual_budget": _blank_means(None)(lambda raw: _number("annual_budget", raw)),
            "parent": _blank_means(None)(lambda raw: self._parent(raw, record.line, existing)),
            "owner": _blank_means(None)(self._user),
            "status": _blank_means(_SKIP)(lambda raw: self._choice("status", raw)),
        }

    def _choice(self, column: str, raw: str) -> str:
        # An unknown value goes through as it is: the model says it is not a valid choice.
        return self.choices[column].get(_key(raw), raw)

    def _parent(self, raw: str, line: int, existing: Account | None) -> Account:
        name = _normalise(raw)
        if existing is not None and existing.parent_id and _key(existing.parent.name) == _key(name):
            return existing.parent  # unchanged, even when the user does not see the parent
        parent = self._visible_account(name)
        if parent is not None:
            return parent
        first_line = self.first_line_of.get(_key(name))
        if first_line == line:
            raise ValidationError(_("An account cannot be its own ancestor."))
        place = self._place_in_file(first_line, line)
        if place == "failed":
            message = _("The account “%(name)s” is on line %(line)s, which has errors.")
        elif place == "later":
            message = _("The account “%(name)s” is on line %(line)s; move it above this line.")
        else:
            message = _("No account is called “%(name)s”.")
        raise ValidationError(message % {"name": name, "line": first_line})


def _number(column: str, raw: str):
    """The model field's own conversion, after dropping thousands separators."""
    cleaned = re.sub(r"[,\uff0c\s]", "", raw)  # also the full-width comma
    return Account._meta.get_field(column).to_python(cleaned)


def _boolean(raw: str) -> bool:
    word = raw.casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(_("Write yes or no."))


class _ContactRows(_Rows):
    columns = CONTACT_COLUMNS
    required_columns = ["account", "name"]
    preview_columns = ["account", "name", "title", "email", "reports_to"]

    def __init__(self, *, by: User, mode: str, records: list[_Record]):
        super().__init__(by=by, mode=mode, records=records)
        self._accounts: dict[str, Account | None] = {}
        # First line of each contact (by identity) and of each name or e-mail, per account.
        self.first_line_of: dict[tuple[str, str], int] = {}
        self.first_line_mentioning: dict[tuple[str, str], int] = {}
        for record in records:
            account_key = _key(record.values["account"])
            identity = self._identity(record.values)
            if identity:
                self.first_line_of.setdefault((account_key, identity), record.line)
            for reference in (record.values.get("email", ""), record.values["name"]):
                if reference:
                    self.first_line_mentioning.setdefault(
                        (account_key, _key(reference)), record.line
                    )

    @staticmethod
    def _identity(values: dict[str, str]) -> str:
        """A contact is the same person when the e-mail matches, else (no e-mail) the name."""
        if values.get("email"):
            return "email:" + values["email"].casefold()
        return "name:" + _key(values["name"]) if values["name"] else ""

    def import_row(self, record: _Record) -> _Outcome:
        line, values = record.line, record.values
        errors = []
        if record.has_extra_cells:
            message = _("This row has more cells than the header has columns.")
            errors.append(RowError(line, "", message))
        account = self._account(values["account"], line, errors)
        identity_column = "email" if values.get("email") else "name"
        account_key = _key(values["account"])
        identity = self._identity(values)
        first_line = self.first_line_of.get((account_key, identity))
        if identity and first_line != line:
            message = _("Duplicate of line %(line)s.") % {"line": first_line}
            errors.append(RowError(line, identity_column, message))
        if errors or account is None:
            raise _RowRefused(errors)
        existing = self._existing(account, values, identity_column, line, errors)
        parsers = {
            "name": str,
            "title": str,
            "department": str,
            "phone": str,
            "email": str,
            "reports_to": _blank_means(None)(
                lambda raw: self._boss(raw, account, account_key, line, existing)
            ),
            "is_active": _blank_means(_SKIP)(_boolean),
            "notes": str,
        }
        fields = self._parse_fields(record, parsers, errors)
        if existing is None:
            return self._create(record, account, fields, errors)
        return self._update(record, existing, fields, errors)

    def _create(self, record, account, fields, errors) -> _Outcome:
        try:
            services.contact_create(account=account, by=self.by, **fields)
        except (ValidationError, DomainError) as error:
            errors.extend(_errors_from(error, record.line, row_column="name"))
        if errors:
            raise _RowRefused(errors)
        return _Outcome(RowAction.CREATE)

    def _update(self, record, existing, fields, errors) -> _Outcome:
        changed = {name: value for name, value in fields.items() if _differs(existing, name, value)}
        if changed:
            try:
                services.contact_update(
                    contact=existing, by=self.by, version=existing.version, **changed
                )
            except (ValidationError, DomainError) as error:
                errors.extend(_errors_from(error, record.line, row_column="name"))
        if errors:
            raise _RowRefused(errors)
        action = RowAction.UPDATE if changed else RowAction.UNCHANGED
        return _Outcome(action, changed=sorted(changed))

    def _account(self, raw: str, line: int, errors: list[RowError]) -> Account | None:
        key = _key(raw)
        if not key:
            errors.append(RowError(line, "account", _("Name the contact's account.")))
            return None
        if key not in self._accounts:
            self._accounts[key] = self._visible_account(raw)
        if self._accounts[key] is None:
            message = _("No account is called “%(name)s”.") % {"name": _normalise(raw)}
            errors.append(RowError(line, "account", message))
        return self._accounts[key]

    def _existing(self, account, values, identity_column, line, errors) -> Contact | None:
        contacts = account.contacts.select_related("reports_to")
        if identity_column == "email":
            matches = list(contacts.filter(email__iexact=values["email"])[:2])
        else:
            matches = list(contacts.filter(name__iexact=_normalise(values["name"]))[:2])
        if not matches:
            return None
        if self.mode == ImportMode.CREATE:
            if identity_column == "email":
                message = _("This account already has a contact with this e-mail.")
            else:
                message = _("This account already has a contact with this name.")
            errors.append(RowError(line, identity_column, message))
        elif len(matches) > 1:
            message = _("Several contacts of this account match; give each an e-mail first.")
            errors.append(RowError(line, identity_column, message))
        if errors:
            raise _RowRefused(errors)
        return matches[0]

    def _boss(self, raw, account, account_key, line, existing) -> Contact:
        reference = _key(raw)
        boss = existing.reports_to if existing is not None else None
        if boss is not None and reference in {_key(boss.email), _key(boss.name)} - {""}:
            return boss
        contacts = account.contacts.all()
        if "@" in raw:
            matches = list(contacts.filter(email__iexact=raw)[:2])
        else:
            matches = list(contacts.filter(name__iexact=_normalise(raw))[:2])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            message = _("Several contacts of this account are “%(name)s”; give the e-mail.")
            raise ValidationError(message % {"name": raw})
        first_line = self.first_line_mentioning.get((account_key, reference))
        if first_line == line:
            raise ValidationError(_("Reporting lines cannot form a loop."))
        place = self._place_in_file(first_line, line)
        if place == "failed":
            message = _("The contact “%(name)s” is on line %(line)s, which has errors.")
        elif place == "later":
            message = _("The contact “%(name)s” is on line %(line)s; move it above this line.")
        else:
            message = _("No contact of this account is “%(name)s”.")
        raise ValidationError(message % {"name": raw, "line": first_line})


# Export machinery ---------------------------------------------------------------------------


class _Echo:
    """A file for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _name_of(instance) -> str:
    return instance.name if instance is not None else ""


def _parents_first(rows: Iterable[tuple[int, int | None]]) -> list[int]:
    """The ids in their given order, except that each row comes right after its parent
    (depth first), so that an import meets every parent before its children."""
    rows = list(rows)
    present = {pk for pk, _parent in rows}
    children, roots = defaultdict(list), []
    for pk, parent in rows:
        (children[parent] if parent in present else roots).append(pk)
    ordered, seen, stack = [], set(), list(reversed(roots))
    while stack:
        pk = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        ordered.append(pk)
        stack.extend(reversed(children[pk]))
    return ordered + [pk for pk, _parent in rows if pk not in seen]
