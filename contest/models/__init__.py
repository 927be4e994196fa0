"""SQLAlchemy models, one module per aggregate."""
from contest.models.community import (
    Comment,
    Notification,
    NotificationSetting,
    OutgoingEmail,
    Report,
)
from contest.models.contests import AcceptedPhone, Contest
from contest.models.films import Film, Rendition
from contest.models.jobs import Job
from contest.models.judging import (
    AuditEntry,
    Award,
    Criterion,
    JudgeAssignment,
    Review,
    Score,
    ShortlistEntry,
)
from contest.models.uploads import Upload
from contest.models.users import ApiToken, User
from contest.models.votes import FilmView, ShareCount, Vote

__all__ = ["AcceptedPhone", "ApiToken", "AuditEntry", "Award", "Comment", "Contest", "Criterion",
           "Film", "FilmView", "Job", "JudgeAssignment", "Notification", "NotificationSetting",
           "OutgoingEmail", "Rendition", "Report", "Review", "Score", "ShareCount",
           "ShortlistEntry",
           "Upload", "User", "Vote"]
