/**
 * The Apache Kafka broker that runnel's Kafka tests, examples and benchmark
 * run against: a single KRaft node (broker and controller in one JVM)
 * listening on 127.0.0.1 only, with its jars, data and log under
 * `tests/kafka/.broker/` (ignored by git).
 *
 * ```sh
 * deno task kafka:up        # fetch the jars (first time), format, start, wait until it answers
 * deno task kafka:down      # stop it
 * deno run --allow-all tests/kafka/broker.ts restart
 * ```
 *
 * A broker already answering on the port is reused, never started twice.
 * The tests call {@linkcode ensureBroker}: under `CI=true` (where `.ci/run`
 * starts the broker first) a missing broker fails the test, elsewhere it is
 * started on demand. Needs Java 17+ and Maven on PATH.
 *
 * @module
 */

import { Admin } from "@platformatic/kafka";

const HERE = new URL("./", import.meta.url);
const DIR = decodeURIComponent(new URL(".broker/", HERE).pathname);
const LIB = `${DIR}lib`;
const DATA = `${DIR}data`;
const CONFIG = `${DIR}server.properties`;
const LOG = `${DIR}broker.log`;
const PID = `${DIR}broker.pid`;

/** The broker's client port on 127.0.0.1. */
export const KAFKA_PORT = 39092;
/** Its controller port on 127.0.0.1. */
const CONTROLLER_PORT = 39093;
/** The bootstrap address to give clients. */
export const KAFKA_BROKERS: readonly string[] = [`127.0.0.1:${KAFKA_PORT}`];

// A JVM on two busy cores takes a while to start.
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

function log(message: string): void {
  console.error(`kafka broker: ${message}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function exec(program: string, args: string[], what: string): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(program, { args, cwd: HERE, stdin: "null" }).output();
  } catch (error) {
    throw new Error(`Cannot ${what}: cannot run "${program}" (is it installed?)`, {
      cause: error,
    });
  }
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) {
    throw new Error(`Cannot ${what}: "${program}" failed:\n${text.slice(-4000)}`);
  }
  return text;
}

/** Whether something accepts connections on the broker's port. */
async function portOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Whether the broker answers a metadata request. */
export async function brokerAnswers(): Promise<boolean> {
  if (!await portOpen(KAFKA_PORT)) return false;
  const admin = new Admin({
    clientId: "runnel-broker-check",
    bootstrapBrokers: [...KAFKA_BROKERS],
    retries: 0,
    timeout: 5_000,
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return metadata.brokers.size > 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => {});
  }
}

async function fetchJars(): Promise<void> {
  if (await hasBrokerJar()) return;
  log("fetching the broker's jars with Maven (once)");
  await exec(
    "mvn",
    ["-q", "dependency:copy-dependencies", `-DoutputDirectory=${LIB}`, "-DincludeScope=runtime"],
    "fetch the Kafka broker's jars",
  );
}

async function hasBrokerJar(): Promise<boolean> {
  if (!await exists(LIB)) return false;
  for await (const entry of Deno.readDir(LIB)) {
    if (/^kafka_2\.13-.*\.jar$/.test(entry.name)) return true;
  }
  return false;
}

function config(): string {
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${CONTROLLER_PORT}`,
    `listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${DATA}`,
    // Tests ask for a missing topic and must get an error, not a new topic.
    "auto.create.topics.enable=false",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    "num.partitions=1",
    "",
  ].join("\n");
}

async function format(): Promise<void> {
  await Deno.writeTextFile(CONFIG, config());
  if (await exists(`${DATA}/meta.properties`)) return;
  const classpath = `${LIB}/*`;
  const uuid = (await exec(
    "java",
    ["-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
    "make a Kafka cluster id",
  )).trim().split("\n").at(-1)!.trim();
  await exec(
    "java",
    ["-cp", classpath, "kafka.tools.StorageTool", "format", "-t", uuid, "-c", CONFIG],
    "format the Kafka storage directory",
  );
}

async function readPid(): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(PID)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the broker unless one answers already, and waits until it answers.
 *
 * @returns Whether this call started it.
 */
export async function up(): Promise<boolean> {
  if (await brokerAnswers()) return false;
  await Deno.mkdir(DIR, { recursive: true });
  await fetchJars();
  await format();
  const old = await readPid();
  if (old !== undefined && alive(old)) {
    log(`process ${old} is still starting; waiting for it`);
  } else {
    log(`starting on 127.0.0.1:${KAFKA_PORT} (log: ${LOG})`);
    // Detached through the shell, so the broker outlives this process.
    await exec("bash", [
      "-c",
      `nohup java -Xmx512m -Xms256m -XX:+UseSerialGC -cp '${LIB}/*' kafka.Kafka '${CONFIG}' ` +
      `>'${LOG}' 2>&1 </dev/null & echo $! >'${PID}'`,
    ], "start the Kafka broker");
  }
  const pid = (await readPid())!;
  const end = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < end) {
    if (await brokerAnswers()) {
      log("up");
      return true;
    }
    if (!alive(pid)) {
      const tail = await Deno.readTextFile(LOG).then((t) => t.slice(-3000), () => "");
      throw new Error(`The Kafka broker (process ${pid}) exited while starting:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `The Kafka broker did not answer on 127.0.0.1:${KAFKA_PORT} within ${START_TIMEOUT_MS} ms; see ${LOG}`,
  );
}

/**
 * Stops the broker this helper started (by its pid file) and waits until it
 * has exited. Does nothing when none runs.
 *
 * @returns Whether it stopped one.
 */
export async function down(): Promise<boolean> {
  const pid = await readPid();
  if (pid === undefined || !alive(pid)) {
    await Deno.remove(PID).catch(() => {});
    return false;
  }
  Deno.kill(pid, "SIGTERM");
  const end = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) Deno.kill(pid, "SIGKILL");
  while (alive(pid)) await new Promise((r) => setTimeout(r, 100));
  await Deno.remove(PID).catch(() => {});
  log("down");
  return true;
}

/** Stops the broker and starts it again on the same data. */
export async function restart(): Promise<void> {
  await down();
  await up();
}

/**
 * Makes sure a broker answers before a Kafka test. Under `CI=true` it must
 * already run (`.ci/run` starts it): a missing broker is an error, never a
 * skip. Elsewhere it is started on demand.
 *
 * @returns The bootstrap addresses.
 */
export async function ensureBroker(): Promise<string[]> {
  if (await brokerAnswers()) return [...KAFKA_BROKERS];
  if (Deno.env.get("CI") === "true") {
    throw new Error(
      `No Kafka broker answers on 127.0.0.1:${KAFKA_PORT}; under CI=true .ci/run must start it ` +
        "(deno task kafka:up)",
    );
  }
  await up();
  return [...KAFKA_BROKERS];
}

if (import.meta.main) {
  const [command] = Deno.args;
  try {
    if (command === "up") await up();
    else if (command === "down") await down();
    else if (command === "restart") await restart();
    else if (command === "status") {
      const answers = await brokerAnswers();
      console.log(answers ? "up" : "down");
      Deno.exit(answers ? 0 : 1);
    } else {
      console.error("usage: broker.ts up|down|restart|status");
      Deno.exit(2);
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
