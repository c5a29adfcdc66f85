from django.core.checks import Error, register

PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


@register("documents", deploy=True)
def weasyprint_loads(app_configs, **kwargs) -> list[Error]:
    """WeasyPrint loads Pango and HarfBuzz when it is imported: without them every PDF would fail.
    A deployment check (`check --deploy`), since importing WeasyPrint takes a while."""
    try:
        import weasyprint  # noqa: F401
    except (OSError, ImportError) as exc:
        return [
            Error(
                f"WeasyPrint cannot load the libraries the PDF documents need: {exc}",
                hint=f"On Debian or Ubuntu: apt-get install {PACKAGES}",
                id="documents.E001",
            )
        ]
    return []
