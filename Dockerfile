# Production image: gunicorn web, Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=iapt.settings.production

RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 app

WORKDIR /app
COPY requirements.txt package.json package-lock.json ./
RUN pip install -r requirements.txt && npm ci --no-audit --no-fund
COPY . .
RUN mkdir -p build/nhsuk && npx sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
    static/public/scss/nhsuk.scss build/nhsuk/nhsuk.css
# collectstatic needs settings to import; the build-time key is never used at run time.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && chown -R app:app /app
USER app
EXPOSE 8000
CMD ["gunicorn", "iapt.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
