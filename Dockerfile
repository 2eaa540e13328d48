# linedesk for production: `docker build -t linedesk .` (see docs/production.md).
# The package is built into a wheel, then installed without its test extras into a clean
# image that runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LINEDESK_ENV=production
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /app --create-home linedesk
USER linedesk
WORKDIR /app
EXPOSE 8000
ENTRYPOINT ["linedesk"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
