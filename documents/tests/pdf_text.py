"""Reading a PDF answer as a person reads the page: its text, and the money figures on it."""

import io
import re
from decimal import Decimal

from pypdf import PdfReader

# 1,234.56 or -40.00: two decimals, thousands grouped; not a percentage (the tax rate).
FIGURE = re.compile(r"(?<![\d.,])-?\d{1,3}(?:,\d{3})*\.\d{2}(?![\d%])")


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def pdf_text(content: bytes) -> str:
    return "\n".join(pdf_pages(content))


def figures(text: str) -> list[Decimal]:
    """Every amount written on the page, sorted."""
    return sorted(Decimal(match.replace(",", "")) for match in FIGURE.findall(text))
