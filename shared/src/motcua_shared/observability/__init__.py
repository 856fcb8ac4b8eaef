"""What makes every motcua service observable: Prometheus metrics (`metrics`), OpenTelemetry tracing
through Kafka headers (`tracing`), readiness checks (`readiness`), the HTTP middleware that ties them
to each request (`http`) and the AsyncAPI document of the topics (`asyncapi`). See docs/observability.md.

Import the submodules themselves (`from motcua_shared.observability import metrics`): this package
imports nothing, so that the shared consumer and publish helpers can use it without import cycles."""
