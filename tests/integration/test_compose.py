"""docker-compose.yml is valid: Debian's docker-compose parses and resolves it
without an engine, and it carries the services and variables the README
promises."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import SRC, run_tests  # noqa: E402


def compose_config():
    out = subprocess.run(["docker-compose", "-f", os.path.join(SRC, "docker-compose.yml"),
                          "config"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_compose_file_validates():
    text = compose_config()
    for service in ("postgres:", "kafka:", "relay48:", "kafka-topics:"):
        assert service in text, service
    assert "image: postgres:16" in text
    assert "apache/kafka:" in text
    assert "RELAY48_DATABASE_URL" in text and "RELAY48_KAFKA_BOOTSTRAP_SERVERS" in text
    assert text.count("healthcheck:") >= 3


def test_dockerfile_is_multistage_and_non_root():
    with open(os.path.join(SRC, "ops", "Dockerfile")) as f:
        df = f.read()
    assert df.count("FROM ") >= 2
    assert "USER relay48" in df


def test_a_broken_compose_file_is_refused():
    # The check above could not fail if docker-compose accepted anything.
    bad = os.path.join(os.environ.get("RELAY48_BUILD_DIR", "/tmp"), "bad-compose.yml")
    with open(bad, "w") as f:
        f.write("services:\n  relay48:\n    depends_on: 12\n")
    out = subprocess.run(["docker-compose", "-f", bad, "config"], capture_output=True, text=True)
    assert out.returncode != 0


if __name__ == "__main__":
    run_tests(globals())
