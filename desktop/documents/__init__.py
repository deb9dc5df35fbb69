"""Letters of the legal procedure (CRPA) rendered from Word templates, then PDF. No Qt here.

Typical use from a service object, off the GUI thread::

    docx = render_letter(LetterKind.ACKNOWLEDGEMENT, context, drafts_dir, authority_templates)
    pdf = convert_to_pdf(docx, drafts_dir)
"""

from .context import LetterContext, ProcedureInfo, Recipient, ServiceInCharge
from .errors import (
    DocumentError,
    IncompleteContext,
    OutputError,
    PdfConversionError,
    PdfConversionUnavailable,
    TemplateError,
    TemplateNotFound,
)
from .pdf import convert_to_pdf
from .render import LetterKind, default_template_dir, find_template, render_letter

__all__ = [
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
