# DistStack node image. Build: docker build -t diststack .   Run five of them: docker-compose up -d --build
#
# Stage 1 restores with only the project files copied (a layer that survives source edits), then publishes
# Release. Stage 2 is the ASP.NET Core runtime plus the published app: no SDK, no sources, no tests.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY DistStack.Actors/DistStack.Actors.csproj DistStack.Actors/
COPY DistStack.Host/DistStack.Host.csproj DistStack.Host/
# Restore and publish for this platform's runtime identifier only (framework-dependent): native assets of
# SQLite and LightningDB for other OSes and CPUs stay out of the image.
RUN case "$(uname -m)" in \
      x86_64) echo linux-x64 ;; aarch64) echo linux-arm64 ;; armv7l) echo linux-arm ;; \
      *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;; \
    esac >/tmp/rid \
 && dotnet restore DistStack.Host/DistStack.Host.csproj -r "$(cat /tmp/rid)"
# Everything else the Host needs (sources, hocon/); .dockerignore keeps out tests, bin/obj, docs and scripts.
COPY . .
RUN dotnet publish DistStack.Host/DistStack.Host.csproj -c Release -o /app --no-restore \
      -r "$(cat /tmp/rid)" --self-contained false -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# A fixed non-root user that owns /data: a named volume mounted there on first use copies this ownership,
# so the node can create its SQLite files without running as root.
# In a container, Akka.Remote binds on all interfaces but advertises the node's --cluster host (the compose
# service name, which peers resolve): diststack.bind-hostname, read from the config file DISTSTACK_CONFIG names
# (a --config flag replaces it; remoting then binds to the address the service name resolves to, which works too).
RUN groupadd --system --gid 10001 diststack \
 && useradd --system --uid 10001 --gid diststack --home-dir /data --no-create-home --shell /usr/sbin/nologin diststack \
 && mkdir -p /data /etc/diststack \
 && chown diststack:diststack /data \
 && printf '%s\n' '# Container defaults (Dockerfile): bind remoting on all interfaces, advertise the --cluster host.' \
      'diststack.bind-hostname = "0.0.0.0"' >/etc/diststack/container.conf
ENV DISTSTACK_CONFIG=/etc/diststack/container.conf
WORKDIR /app
COPY --from=build /app ./
USER diststack
VOLUME /data
# HTTP listens on --port (docker-compose.yml gives every node 8080 inside its container); Akka.Remote on the port
# of this node's --cluster URL, which stays on the compose network (not published).
# DISTSTACK_PORT is the Host's own fallback for --port, so `docker run diststack --id ... --cluster ...` serves
# HTTP on 8080 without a --port flag, and the health check below probes the same port.
EXPOSE 8080
ENV DISTSTACK_PORT=8080
# The image has no curl or wget: the Host itself probes (exit 0 on HTTP 200). Shell form so that the probe follows
# DISTSTACK_PORT; a node given another --port flag must set DISTSTACK_PORT to match. With DISTSTACK_TLS_CERT set
# (HTTPS) it probes https:// and trusts DISTSTACK_TLS_CA (docker-compose.tls.yml).
# LIVENESS, not readiness: /health answers while the process serves HTTP. A lost quorum makes /health/ready 503 on
# EVERY node at once; if that marked them all unhealthy, an orchestrator that restarts unhealthy containers would
# restart the whole cluster together, which helps nothing and loses its leader. Load balancers use /health/ready.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD dotnet /app/DistStack.Host.dll --probe "http${DISTSTACK_TLS_CERT:+s}://127.0.0.1:${DISTSTACK_PORT}/health" || exit 1
# SIGTERM: the Host hands leadership over and exits, well within Docker's 10 s grace period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/DistStack.Host.dll"]
