FROM python:3.11-slim-bookworm

# WeasyPrint prints the Chinese forms: Pango, HarfBuzz's subsetter (without it a page takes
# seconds) and a CJK font (without it Chinese prints as boxes).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
# The locked versions, each checked against its hash (make lock writes requirements.lock).
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml ./
COPY config ./config
COPY insured ./insured
COPY payments ./payments
COPY subsidy ./subsidy
COPY collective ./collective
COPY refunds ./refunds
COPY oversight ./oversight
RUN pip install --no-cache-dir --no-deps --no-build-isolation .
COPY . .
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEY=q2uKC_Dk2mR9mO6fXhqSk8l7rbJY3wCSEzMbnt9hRAQ= \
    DATABASE_URL=sqlite:////tmp/build.db REDIS_URL=redis://localhost \
    python manage.py collectstatic --noinput -v0
RUN useradd --system --uid 1000 app && mkdir -p /app/media && chown app /app/media
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
