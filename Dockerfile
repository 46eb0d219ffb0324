# Production image: one image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY amo ./amo
COPY rotations ./rotations
COPY applicants ./applicants
COPY hosts ./hosts
COPY payments ./payments
RUN pip install -c constraints.txt .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --system --uid 1000 amo && mkdir -p /data/private && chown amo /data/private
USER amo
ENV PRIVATE_MEDIA_ROOT=/data/private
EXPOSE 8000
CMD ["gunicorn", "amo.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
