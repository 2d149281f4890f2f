# The mltrl image: web (gunicorn), worker and beat (celery) run from it; see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git: the gate checks read repositories through the git CLI (gates/git.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/mltrl mltrl

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. pyproject.toml
# declares no packages (packages = []): `pip install .` installs the dependencies;
# the apps run from /app.
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Static files are collected at build time with the production storage (DEBUG=0
# selects whitenoise's compressed manifest storage); the keys are for this step only.
RUN DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only MLTRL_VAR_DIR=/tmp/build-var \
        MLTRL_AUDIT_KEY=collectstatic-at-build-time-only-not-a-key \
        python manage.py collectstatic --no-input \
    && rm -rf /tmp/build-var \
    && mkdir -p /var/lib/mltrl/git-mirrors /var/lib/mltrl-beat /var/lib/mltrl-anchors \
    && chown -R mltrl:mltrl /var/lib/mltrl /var/lib/mltrl-beat /var/lib/mltrl-anchors

# Production by default: start-up fails without SECRET_KEY and MLTRL_AUDIT_KEY (or *_FILE).
ENV DEBUG=0 \
    MLTRL_VAR_DIR=/var/lib/mltrl

USER mltrl
EXPOSE 8000
CMD ["gunicorn", "mltrl_site.wsgi:application", "--bind=0.0.0.0:8000"]
