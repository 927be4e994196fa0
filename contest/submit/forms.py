from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from contest.operations.films import EXTENSIONS


class EntryForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Length(max=5000)],
                                description="Markdown. Tell viewers what they are about to see.")
    agree = BooleanField("I shot this film on the phone the rules name, and I accept the rules.",
                         validators=[DataRequired("You need to accept the rules to enter.")])
    file = FileField("Video file", validators=[
        FileRequired("Choose the video file to upload."),
        FileAllowed([e.lstrip(".") for e in EXTENSIONS],
                    "Upload a video file: MP4, MOV, M4V, 3GP, MKV or WebM."),
    ])
