# The ecomap service image; docker-compose.yml wires it to Neo4j.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/ecomap
COPY pyproject.toml README.md ./
COPY app ./app
COPY graph ./graph
COPY loaders ./loaders
COPY queries ./queries
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["ecomap", "serve", "--host", "0.0.0.0", "--port", "8000"]
