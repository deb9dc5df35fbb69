"""Errors of document generation, each carrying a French message a secrétaire can act on.

The message (``str(error)``) is shown as is in the application's dialogs, so it says what went
wrong and what to do, in French, without a stack trace.
"""

from __future__ import annotations


class DocumentError(Exception):
    """Base class: anything that prevents producing a letter or its PDF."""


class TemplateNotFound(DocumentError):
    """No template file for this kind of letter, neither the authority's nor the default one."""


class TemplateError(DocumentError):
    """The template exists but cannot be used: not a Word file, or a faulty merge field."""


class IncompleteContext(DocumentError):
    """The request lacks what this kind of letter must state (a legal mention would be missing)."""


class OutputError(DocumentError):
    """The finished document could not be written (folder read-only, file open in Word…)."""


class PdfConversionError(DocumentError):
    """The PDF converter ran but failed, or took too long."""


class PdfConversionUnavailable(PdfConversionError):
    """No PDF converter (LibreOffice, Microsoft Word) is installed on this computer."""


class UnsupportedTemplateFormat(TemplateError):
    """A ``.doc`` (Word 97) or ``.docm`` (macros) file, or anything that is not a ``.docx``."""


class CorruptTemplate(TemplateError):
    """The file has a ``.docx`` name but is not a readable Word document (not a zip, truncated)."""


class TemplateLocked(TemplateError):
    """The template (or a draft) is open in Word, or otherwise cannot be read right now."""


class TemplateSyntaxProblem(TemplateError):
    """A condition or loop is not closed, or a field is badly written (broken Jinja)."""


class UnknownField(TemplateError):
    """The template uses a merge field bannette does not know (often a typing mistake).

    ``fields`` holds every unknown name, ``suggestions`` the closest known name for each (or
    None), so the dialog and the command can both say « did you mean … ».
    """

    def __init__(
        self,
        message: str,
        fields: tuple[str, ...] = (),
        suggestions: dict[str, str | None] | None = None,
    ) -> None:
        super().__init__(message)
        self.fields = fields
        self.suggestions = dict(suggestions or {})


class MissingMention(TemplateError):
    """A legal letter (acknowledgement, missing documents) lacks a mention R112-5 requires.

    ``mentions`` names each missing mention in French (« la date de réception »…), ``rule`` the
    silence rule of the sample or request it was missing for.
    """

    def __init__(
        self, message: str, mentions: tuple[str, ...] = (), rule: str | None = None
    ) -> None:
        super().__init__(message)
        self.mentions = mentions
        self.rule = rule


class AssemblyError(DocumentError):
    """An annex cannot go into the reply's PDF (not a PDF/image, encrypted, damaged)."""


class RequestNotFound(DocumentError):
    """No request with that number in the local database (or the number is ambiguous)."""
