"""The email settings read from the environment (API.md's configuration table)."""

KEY = "k" * 50


def test_the_defaults_print_email_and_link_to_the_development_server(load_settings):
    loaded = load_settings(SECRET_KEY=KEY)
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert loaded["DEFAULT_FROM_EMAIL"] == "Demo Auto Repair <shop@localhost>"
    assert loaded["PUBLIC_BASE_URL"] == "http://localhost:5001"
    assert (loaded["ESTIMATE_LINK_DAYS"], loaded["PASSWORD_RESET_TIMEOUT"]) == (7, 3600)
    assert loaded["CELERY_BEAT_SCHEDULE"]["emails-sweep"]["task"] == "notifications.tasks.sweep"


def test_an_smtp_url_configures_djangos_smtp_backend(load_settings):
    loaded = load_settings(
        SECRET_KEY=KEY,
        EMAIL_URL="smtp+tls://mailer:s3cret@smtp.example.com:587",
        DEFAULT_FROM_EMAIL="Shop <a@example.com>",
    )
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (loaded["EMAIL_HOST"], loaded["EMAIL_PORT"], loaded["EMAIL_USE_TLS"]) == ("smtp.example.com", 587, True)
    assert (loaded["EMAIL_HOST_USER"], loaded["EMAIL_HOST_PASSWORD"]) == ("mailer", "s3cret")
    assert loaded["DEFAULT_FROM_EMAIL"] == "Shop <a@example.com>"
    assert loaded["EMAIL_TIMEOUT"] == 30


def test_a_file_url_writes_emails_to_a_folder(load_settings, tmp_path):
    # django-environ reads the path after the host's slash: relative with three, absolute with four.
    loaded = load_settings(SECRET_KEY=KEY, EMAIL_URL="filemail:///var/mail")
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert loaded["EMAIL_FILE_PATH"] == "var/mail"
    assert (
        load_settings(SECRET_KEY=KEY, EMAIL_URL=f"filemail:///{tmp_path}/mail")["EMAIL_FILE_PATH"] == f"{tmp_path}/mail"
    )


def test_the_public_address_and_link_lifetimes_are_read(load_settings):
    loaded = load_settings(
        SECRET_KEY=KEY, PUBLIC_BASE_URL="https://shop.example/", ESTIMATE_LINK_DAYS="3", PASSWORD_RESET_TIMEOUT="900"
    )
    assert loaded["PUBLIC_BASE_URL"] == "https://shop.example"
    assert (loaded["ESTIMATE_LINK_DAYS"], loaded["PASSWORD_RESET_TIMEOUT"]) == (3, 900)
