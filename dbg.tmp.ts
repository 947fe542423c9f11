import { captureStack } from "./test/live/capture";
import { bootInstance, waitForCloudInit } from "./test/live/instances";
import { startSsmStandin } from "./test/live/ssmStandin";
import { docker, dockerRun } from "./test/live/docker";
(async () => {
  const c = await captureStack("staging", {}, "staging");
  await dockerRun(["rm", "-f", "dbg-server-2"]); await dockerRun(["network", "rm", "dbg-vpc"]);
  await docker(["network", "create", "--subnet", "10.20.0.0/16", "--gateway", "10.20.255.254", "dbg-vpc"]);
  const params = Object.fromEntries(c.resources.filter(r => r.type === "aws:ssm/parameter:Parameter").map(r => [r.inputs.name, r.inputs.value]));
  const ssm = await startSsmStandin({ host: "10.20.255.254", port: 0, parameters: params });
  const r = c.resources.find(r => r.type === "aws:ec2/instance:Instance" && r.inputs.tags["foobar:server"] === "server-2")!;
  const i = await bootInstance({ name: "dbg-server-2", image: "foobar-infra/ec2-standin:local", network: "dbg-vpc", ipv4Address: r.inputs.privateIp, userData: Buffer.from(r.inputs.userDataBase64, "base64"), ssmEndpoint: ssm.url, labels: {} });
  try { await waitForCloudInit(i, 20 * 60_000); console.log("OK"); } catch (e) { console.log(String(e).slice(0, 300)); }
  console.log((await i.run(["sh", "-c", "grep -v '^Setting up\\|^Unpacking\\|^Selecting\\|^Preparing\\|^Get:' /var/log/cloud-init-output.log | tail -40"])).stdout);
  console.log(JSON.stringify(ssm.requests));
  await ssm.close();
})();
