FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY hub ./hub
COPY connectors ./connectors
COPY schemas ./schemas
COPY topics ./topics
RUN pip install --no-cache-dir --no-deps . && useradd --system hub
USER hub
ENV HUB_HOME=/tmp/hub
CMD ["hub", "worker"]
