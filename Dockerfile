# chartmuseum (Python): gunicorn serving wsgi:application, configured by env vars.
#
#   docker build -t chartmuseum:0.16.5 .
#   docker build --build-arg EXTRAS=amazon -t chartmuseum:0.16.5-s3 .   # one backend's SDK
#   docker build --build-arg EXTRAS=all -t chartmuseum:0.16.5-all .     # every SDK (+~500 MB: OCI)
#   docker run -p 8080:8080 -v chartstorage:/storage chartmuseum:0.16.5
#
# EXTRAS names setup.cfg extras (comma-separated; empty: local storage only). The default
# is every backend except oracle, whose SDK alone weighs about 500 MB.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build stage: the chartmuseum wheel, then a virtualenv with it and the selected SDKs.
FROM ${PYTHON_IMAGE} AS build
ARG EXTRAS=amazon,google,microsoft,alibaba,openstack,baidu,tencent,etcd
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.cfg README.md wsgi.py ./
COPY app/ app/
COPY backends/ backends/
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/chartmuseum \
    && wheel="$(echo /wheels/chartmuseum-*.whl)" \
    && /opt/chartmuseum/bin/pip install --no-cache-dir "${wheel}${EXTRAS:+[${EXTRAS}]}" \
    && /opt/chartmuseum/bin/pip uninstall --yes pip \
    && /opt/chartmuseum/bin/python -m compileall -q /opt/chartmuseum/lib

# Runtime stage: the same slim Python, the virtualenv, a fixed non-root user.
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="chartmuseum" \
      org.opencontainers.image.description="Helm chart repository server (ChartMuseum 0.16.5 compatible, Python)" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/chartmuseum/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STORAGE=local \
    STORAGE_LOCAL_ROOTDIR=/storage \
    PORT=8080
RUN groupadd --system --gid 10001 chartmuseum \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin chartmuseum \
    && mkdir -p /storage \
    && chown 10001:10001 /storage
COPY --from=build /opt/chartmuseum /opt/chartmuseum
WORKDIR /app
COPY gunicorn.conf.py deploy/docker/healthcheck.py ./
USER 10001:10001
EXPOSE 8080
VOLUME ["/storage"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py"]
ENTRYPOINT ["gunicorn", "--config", "/app/gunicorn.conf.py", "wsgi:application"]
