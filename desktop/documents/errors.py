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
