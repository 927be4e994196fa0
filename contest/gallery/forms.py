"""Forms of the film page: the filmmaker's edits, captions and withdrawal."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from contest.operations.film_page import DESCRIPTION_MAX, LANGUAGE, TITLE_MAX


class FilmEditForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=TITLE_MAX)])
    description = TextAreaField("Description", validators=[Length(max=DESCRIPTION_MAX)],
                                description="Markdown: *italics*, **bold**, [links](https://…).")


class CaptionsForm(FlaskForm):
    file = FileField("Captions file (WebVTT)", validators=[
        FileRequired("Choose a .vtt file."),
        FileAllowed(["vtt"], "Captions are a WebVTT file ending in .vtt."),
    ], description="A .vtt file of up to 512 KB, starting with the line WEBVTT.",
        render_kw={"accept": ".vtt,text/vtt"})
    language = StringField("Language", default="en", validators=[
        DataRequired(), Regexp(LANGUAGE, message="A language code such as en, fi or pt-BR."),
    ], description="The language of the captions, as a code: en, fi, pt-BR…")


class RemoveCaptionsForm(FlaskForm):
    """Only the CSRF token: a button that removes the captions."""


class WithdrawForm(FlaskForm):
    confirm = BooleanField("I want to withdraw this film from the contest.",
                           validators=[DataRequired("Tick the box to confirm.")])
