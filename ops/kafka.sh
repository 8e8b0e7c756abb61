#!/usr/bin/env bash
# A real Apache Kafka broker for relay48: one node in KRaft mode (broker and
# controller in one JVM) on 127.0.0.1. Debian has no Kafka package: the broker
# and its runtime jars come from Maven Central (ops/kafka/pom.xml pins the
# release) into a cache outside the repository.
#   ops/kafka.sh fetch | start | stop | kill | status | brokers | topics | retention
# kill = SIGKILL, for the fault tests. retention prints each topic's
# retention.ms and segment.ms as the broker has them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/ops/kafka/pom.xml")
LIBS=$CACHE_DIR/kafka-$KAFKA_VERSION/libs
K_DIR=$RUN_DIR/kafka
PID_FILE=$K_DIR/kafka.pid
BROKERS=127.0.0.1:$KAFKA_PORT
HEAP=${RELAY48_BROKER_HEAP:-512m}

# topic:partitions:retention in days (local stack: replication factor 1,
# min.insync.replicas 1; production: 3 and 2, see docs/operations.md).
# Retention: no topic keeps personal data longer than the relay's database
# does (docs/reliability.md, "Data protection"): a record lives at most
# retention.ms + segment.ms (a segment is deleted whole, once its newest
# record is past retention.ms), so segments roll daily. Escalations and dead
# letters carry the victim's narrative (retention.narrative_days, 30),
# case events the acknowledgements' notes (retention.notes_days, 90), reports
# only IBAN tokens (retention.payment_days, 180).
TOPICS=(
  relay48.reports.v1:6:30
  relay48.escalations.bank.v1:12:7
  relay48.escalations.police.v1:6:7
  relay48.case-events.v1:6:30
  relay48.deliveries.dlq.v1:3:14
)
SEGMENT_MS=86400000

fetch() {
  if [[ -f "$LIBS/.complete" ]]; then
    say "Kafka $KAFKA_VERSION already in $LIBS"
    return
  fi
  command -v mvn >/dev/null || die "maven is missing (run ops/bootstrap.sh)"
  say "fetching Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central"
  rm -rf "$LIBS"
  mkdir -p "$LIBS"
  # Progress: one line per artifact resolved, counted in place on a terminal.
  mvn -B -f "$ROOT/ops/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS" 2>&1 |
    awk -v tty="$([[ -t 1 ]] && echo 1 || echo 0)" '
      /Downloaded from/ { n++; if (tty) printf "\rkafka.sh: downloaded %d files", n }
      /BUILD FAILURE|ERROR/ { print > "/dev/stderr" }
      END { if (tty && n) printf "\n" }'
  [[ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "Kafka jars were not fetched"
  touch "$LIBS/.complete"
  say "Kafka $KAFKA_VERSION: $(ls "$LIBS" | wc -l) jars in $LIBS"
}

java_run() {
  java -Xms128m -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
       -Dlog4j.configuration="file:$K_DIR/log4j.properties" \
       -cp "$LIBS/*" "$@"
}

write_config() {
  mkdir -p "$K_DIR/data"
  cat >"$K_DIR/server.properties" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$K_DIR/data
num.partitions=3
auto.create.topics.enable=false
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
num.network.threads=2
num.io.threads=4
CONF
  cat >"$K_DIR/log4j.properties" <<CONF
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$K_DIR/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
CONF
}

metadata_ok() { kcat -b "$BROKERS" -L -t relay48.reports.v1 -m 2 2>/dev/null | grep -q 'partition'; }
broker_ok() { kcat -b "$BROKERS" -L -m 2 >/dev/null 2>&1; }

topic_name() { echo "${1%%:*}"; }
topic_parts() { local t=${1#*:}; echo "${t%%:*}"; }
topic_retention_ms() { echo $((${1##*:} * 86400000)); }

# "topic retention.ms segment.ms" of every relay48 topic, as the broker has
# them ("-": the broker's default), in one JVM.
describe_retention() {
  java_run kafka.admin.ConfigCommand --bootstrap-server "$BROKERS" --describe \
    --entity-type topics 2>>"$K_DIR/topics.log" |
    awk '/^Dynamic configs for topic / { if (t ~ /^relay48\./) print t, r, s; t = $5; r = "-"; s = "-" }
         /^  retention\.ms=/ { split($1, a, "="); r = a[2] }
         /^  segment\.ms=/ { split($1, a, "="); s = a[2] }
         END { if (t ~ /^relay48\./) print t, r, s }' | sort
}

create_topics() {
  local t name parts retention pids=() existing=()
  for t in "${TOPICS[@]}"; do
    name=$(topic_name "$t"); parts=$(topic_parts "$t"); retention=$(topic_retention_ms "$t")
    if kcat -b "$BROKERS" -L -t "$name" -m 2 2>/dev/null | grep -q "partition 0,"; then
      existing+=("$t")
      continue
    fi
    # One JVM per topic, in parallel: TopicCommand takes one topic a call.
    java_run org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" --create \
      --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 \
      --config min.insync.replicas=1 --config retention.ms="$retention" \
      --config segment.ms="$SEGMENT_MS" >>"$K_DIR/topics.log" 2>&1 &
    pids+=($!)
  done
  # Topics made before their retention was set here: set it.
  if ((${#existing[@]})); then
    local have
    have=$(describe_retention)
    for t in "${existing[@]}"; do
      name=$(topic_name "$t"); retention=$(topic_retention_ms "$t")
      grep -qx "$name $retention $SEGMENT_MS" <<<"$have" && continue
      java_run kafka.admin.ConfigCommand --bootstrap-server "$BROKERS" --alter \
        --entity-type topics --entity-name "$name" \
        --add-config "retention.ms=$retention,segment.ms=$SEGMENT_MS" >>"$K_DIR/topics.log" 2>&1 &
      pids+=($!)
    done
  fi
  local p rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || { cat "$K_DIR/topics.log" >&2; die "topic creation failed"; }
  say "topics: ${TOPICS[*]%%:*}"
}

start() {
  fetch
  if pid_alive "$PID_FILE"; then
    say "already running on $BROKERS (pid $(cat "$PID_FILE"))"
    create_topics
    return
  fi
  write_config
  if [[ ! -f "$K_DIR/data/meta.properties" ]]; then
    local id
    id=$(java_run kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java_run kafka.tools.StorageTool format -t "$id" -c "$K_DIR/server.properties" \
      >"$K_DIR/format.log" 2>&1 || { cat "$K_DIR/format.log" >&2; die "storage format failed"; }
  fi
  say "starting Kafka $KAFKA_VERSION on $BROKERS (heap $HEAP)"
  nohup java -Xms128m -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$K_DIR/log4j.properties" \
    -cp "$LIBS/*" kafka.Kafka "$K_DIR/server.properties" >"$K_DIR/stdout.log" 2>&1 &
  echo $! >"$PID_FILE"
  if ! wait_for 90 "the Kafka broker" broker_ok; then
    tail -n 30 "$K_DIR/server.log" "$K_DIR/stdout.log" >&2 || true
    die "Kafka did not come up within 90 s"
  fi
  say "Kafka up on $BROKERS (pid $(cat "$PID_FILE"), log: $K_DIR/server.log)"
  create_topics
}

stop() {
  local sig=${1:-TERM}
  if ! pid_alive "$PID_FILE"; then
    say "Kafka not running"; rm -f "$PID_FILE"; return
  fi
  local pid; pid=$(cat "$PID_FILE")
  kill -"$sig" "$pid"
  local i
  for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -f "$PID_FILE"
  say "Kafka stopped ($sig)"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop TERM ;;
  kill) stop KILL ;;
  status)
    if pid_alive "$PID_FILE" && broker_ok; then echo "running $BROKERS"; else echo "stopped"; exit 3; fi ;;
  brokers) echo "$BROKERS" ;;
  topics) create_topics ;;
  retention) describe_retention ;;
  *) echo "usage: ops/kafka.sh fetch|start|stop|kill|status|brokers|topics|retention" >&2; exit 2 ;;
esac
