"""Forms of the organizer console; each turns its input into plain values for the domain."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from contest.errors import DomainError
from contest.models import Contest
from contest.operations.admin import REASON_MAX, TIME_ZONES, phone_line, to_local, to_utc
from contest.operations.contests import TIMES

TIME_FORMAT = "%Y-%m-%dT%H:%M"
NUMBER_FIELDS = ("max_duration_s", "max_size_mb", "min_height", "max_entries_per_filmmaker")
FLAG_FIELDS = ("voting_requires_verified_email", "hide_votes_until_close", "blind_judging")
TEXT_FIELDS = ("title", "tagline", "rules", "prizes")
# The domain's order rules, in its order: (earlier, later, may be equal); an error goes
# on the later field.
SCHEDULE_RULES = (
    ("submissions_open_at", "submissions_close_at", False),
    ("voting_open_at", "voting_close_at", False),
    ("submissions_open_at", "voting_open_at", True),
    ("submissions_close_at", "voting_close_at", True),
    ("voting_close_at", "results_at", True),
)


def _time(label, hint):
    return DateTimeLocalField(label, format=TIME_FORMAT, validators=[InputRequired()],
                              description=hint)


class ContestForm(FlaskForm):
    slug = StringField("Address (slug)", validators=[Length(max=63)],
                       description="Lower-case letters, digits and dashes: /contests/<slug>. "
                                   "It cannot change later.")
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    tagline = StringField("Tagline", validators=[Length(max=200)])
    rules = TextAreaField("Rules (Markdown)", validators=[Length(max=20000)])
    prizes = TextAreaField("Prizes (Markdown)", validators=[Length(max=5000)])
    banner = FileField("Banner image", description="PNG, JPEG or WebP, up to 5 MB; "
                                                   "wide pictures work best (3:1).")
    remove_banner = BooleanField("Remove the banner")
    accepted_phones = TextAreaField(
        "Accepted phones", validators=[DataRequired()],
        description='One a line, "Make Model", then any other names of the same phone '
                    'after "=", e.g. "Nokia N8-00 = N8, RM-596".')
    device_policy = SelectField("When a file names another phone", choices=[
        SelectChoice("reject", "Refuse the entry"),
        SelectChoice("flag", "Accept it and flag it for the judges")])
    max_duration_s = IntegerField("Longest film (seconds)", validators=[
        InputRequired(), NumberRange(min=1)])
    max_size_mb = IntegerField("Largest file (MB)", validators=[
        InputRequired(), NumberRange(min=1)])
    min_height = IntegerField("Smallest picture height (pixels)", validators=[
        InputRequired(), NumberRange(min=0)])
    max_entries_per_filmmaker = IntegerField("Entries per filmmaker", validators=[
        InputRequired(), NumberRange(min=1)])
    votes_per_account = IntegerField(
        "Votes per account", validators=[Optional(), NumberRange(min=1)],
        description="Empty: one vote per film, for as many films as people like. "
                    "A number: that many votes to spread over the contest.")
    voting_requires_verified_email = BooleanField("Voters must confirm their email address")
    hide_votes_until_close = BooleanField("Hide vote counts until voting closes")
    blind_judging = BooleanField("Blind judging: judges do not see who made a film")
    blind_show_descriptions = BooleanField(
        "In blind judging, show the films' descriptions (they may name the filmmaker)")
    submissions_open_at = _time("Entries open", "")
    submissions_close_at = _time("Entries close", "")
    voting_open_at = _time("Voting opens", "Not before entries open.")
    voting_close_at = _time("Voting closes", "Not before entries close.")
    results_at = _time("Results", "Not before voting closes.")

    def fill(self, contest, zone):
        """Show a contest's settings, times in the organizer's zone (GET only)."""
        for name in (*TEXT_FIELDS, "device_policy", *NUMBER_FIELDS, "votes_per_account",
                     *FLAG_FIELDS, "blind_show_descriptions"):
            self[name].data = getattr(contest, name)
        for name in TIMES:
            self[name].data = to_local(getattr(contest, name), zone)
        self.slug.data = contest.slug
        self.accepted_phones.data = "\n".join(
            phone_line(p.make, p.model, p.aliases) for p in contest.phones)

    def fill_new(self, schedule, zone):
        """A new contest: the model's defaults and a default schedule in the organizer's zone."""
        for name in (*NUMBER_FIELDS, "device_policy"):
            self[name].data = Contest.__table__.c[name].default.arg
        for name, value in schedule.items():
            self[name].data = to_local(value, zone)

    def values(self, zone):
        """(data for create_contest/update_contest, extras) as plain values, times in UTC."""
        data = {name: self[name].data or "" for name in TEXT_FIELDS}
        data.update({name: self[name].data for name in NUMBER_FIELDS})
        data.update({name: bool(self[name].data) for name in FLAG_FIELDS})
        data["device_policy"] = self.device_policy.data
        data["votes_per_account"] = self.votes_per_account.data
        data.update({name: to_utc(self[name].data, zone) for name in TIMES})
        data["accepted_phones"] = parse_phones(self.accepted_phones.data)
        return data, {"blind_show_descriptions": bool(self.blind_show_descriptions.data)}

    def show_error(self, error):
        """Put a DomainError on the field it names; schedule errors on the later time."""
        name = error.field
        if name == "schedule":
            name = schedule_field({t: self[t].data for t in TIMES}) or "results_at"
        if name in self._fields and name != "csrf_token":
            self[name].errors = [*self[name].errors, error.message]
            return None
        return error.message


def schedule_field(times):
    """The field of the first order rule that times break, or None."""
    for earlier, later, may_equal in SCHEDULE_RULES:
        a, b = times.get(earlier), times.get(later)
        if a and b and (a > b or (a == b and not may_equal)):
            return later
    return None


def parse_phones(text):
    """'Make Model = alias, alias' a line -> [{make, model, aliases}]."""
    phones = []
    for line in (text or "").splitlines():
        name, _, aliases = line.partition("=")
        if not name.strip():
            continue
        make, _, model = name.strip().partition(" ")
        if not model.strip():
            raise DomainError(f'"{line.strip()}" needs a make and a model, e.g. "Nokia N8-00".',
                              field="accepted_phones")
        phones.append({"make": make, "model": model.strip(),
                       "aliases": [a.strip() for a in aliases.split(",") if a.strip()]})
    return phones


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=REASON_MAX)])


class ActionForm(FlaskForm):
    """Only the CSRF token: a button that does one thing."""


class TimeZoneForm(FlaskForm):
    time_zone = SelectField("Your time zone", choices=[SelectChoice(z, z) for z in TIME_ZONES],
                            validate_choice=True)
    next = HiddenField()


class RoleForm(FlaskForm):
    role = SelectField(choices=[SelectChoice(r, r) for r in ("judge", "organizer")])
    grant = HiddenField(validators=[DataRequired()])


class DiscardForm(FlaskForm):
    accounts = SelectMultipleField("Accounts", choices=[], validate_choice=False)
    reason = TextAreaField("Reason for discarding their votes",
                           validators=[DataRequired(), Length(max=REASON_MAX)])
