"""Letters of the legal procedure (CRPA) rendered from Word templates, then PDF. No Qt here.

Typical use from a service object, off the GUI thread::

    docx = render_letter(LetterKind.ACKNOWLEDGEMENT, context, drafts_dir, authority_templates)
    pdf = convert_to_pdf(docx, drafts_dir)

Replies (issue 10)::

    templates = list_templates(commune_folder)            # library.py: shipped + commune's own
    check_template(path)                                  # checks.py: French TemplateError
    context = request_context(conn, request_pk, today)    # replies.py (GUI thread)
    render_reply(info.path, context, draft_path)          # replies.py (worker thread)
    pdf = available_converter().convert(draft_path, folder)   # pdf.py / warm.py
    data = assemble(pdf, annexes, order)                  # assemble.py; page_thumbnails()

The merge fields for « Aide › Champs des modèles »: ``fields.FIELD_HELP``.
"""

from .context import LetterContext, ProcedureInfo, Recipient, ServiceInCharge
from .errors import (
    AssemblyError,
    CorruptTemplate,
    DocumentError,
    IncompleteContext,
    MissingMention,
    OutputError,
    PdfConversionError,
    PdfConversionUnavailable,
    RequestNotFound,
    TemplateError,
    TemplateLocked,
    TemplateNotFound,
    TemplateSyntaxProblem,
    UnknownField,
    UnsupportedTemplateFormat,
)
from .pdf import available_converter, convert_to_pdf
from .render import LetterKind, default_template_dir, find_template, render_letter

__all__ = [
    "AssemblyError",
    "CorruptTemplate",
    "MissingMention",
    "RequestNotFound",
    "TemplateLocked",
    "TemplateSyntaxProblem",
    "UnknownField",
    "UnsupportedTemplateFormat",
    "available_converter",
    "DocumentError",
    "IncompleteContext",
    "LetterContext",
    "LetterKind",
    "OutputError",
    "PdfConversionError",
    "PdfConversionUnavailable",
    "ProcedureInfo",
    "Recipient",
    "ServiceInCharge",
    "TemplateError",
    "TemplateNotFound",
    "convert_to_pdf",
    "default_template_dir",
    "find_template",
    "render_letter",
]
