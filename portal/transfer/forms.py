"""Upload form for the CSV import."""

from flask_wtf.file import FileAllowed, FileField, FileRequired

from portal.forms import PortalForm


class UploadForm(PortalForm):
    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file."),
            FileAllowed(["csv", "txt"], "Upload a .csv file."),
        ],
        description="UTF-8 CSV with a header row; comma, semicolon or tab separated.",
    )
