import { describe, expect, it } from "vitest";
import { environments } from "../../src/model";
import { INGRESS_RULE, SECURITY_GROUP_RULE } from "../../policies/security";
import { checkResource, type Fixture } from "./harness";

/**
 * no-public-ingress on every way a program can open a port: a security group's inline ingress,
 * a standalone `aws.ec2.SecurityGroupRule` of type ingress, and a VPC
 * `aws.vpc.SecurityGroupIngressRule` (one CIDR per rule: cidrIpv4 or cidrIpv6). Protocol "-1"
 * means every protocol and port
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html).
 */

const SG = "aws:ec2/securityGroup:SecurityGroup";

interface Rule {
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
  readonly cidr: string;
}

/** The same rule as each resource type declares it. */
const shapes: Record<string, (r: Rule) => Fixture> = {
  "inline ingress": (r) => ({
    type: SG,
    name: "open",
    props: {
      ingress: [
        {
          protocol: r.protocol,
          fromPort: r.from,
          toPort: r.to,
          [r.cidr.includes(":") ? "ipv6CidrBlocks" : "cidrBlocks"]: [r.cidr],
        },
      ],
    },
  }),
  SecurityGroupRule: (r) => ({
    type: SECURITY_GROUP_RULE,
    name: "open",
    props: {
      type: "ingress",
      protocol: r.protocol,
      fromPort: r.from,
      toPort: r.to,
      [r.cidr.includes(":") ? "ipv6CidrBlocks" : "cidrBlocks"]: [r.cidr],
    },
  }),
  SecurityGroupIngressRule: (r) => ({
    type: INGRESS_RULE,
    name: "open",
    props: {
      ipProtocol: r.protocol,
      fromPort: r.from,
      toPort: r.to,
      [r.cidr.includes(":") ? "cidrIpv6" : "cidrIpv4"]: r.cidr,
    },
  }),
};

const message = (stack: string, cidr: string, ports: string) =>
  `Remove the ingress from ${cidr} on ${ports} from open: only the load balancer is public in ${stack}, on ports 443, 80.`;

const cases: [string, Rule, string | undefined][] = [
  [
    "SSH from anywhere",
    { protocol: "tcp", from: 22, to: 22, cidr: "0.0.0.0/0" },
    "ports 22-22/tcp",
  ],
  [
    "PostgreSQL from all IPv6",
    { protocol: "tcp", from: 5432, to: 5432, cidr: "::/0" },
    "ports 5432-5432/tcp",
  ],
  ["every protocol", { protocol: "-1", from: 0, to: 0, cidr: "0.0.0.0/0" }, "all ports"],
  [
    "every protocol, spelt all",
    { protocol: "all", from: 0, to: 65535, cidr: "0.0.0.0/0" },
    "all ports",
  ],
  ["443 over UDP", { protocol: "udp", from: 443, to: 443, cidr: "0.0.0.0/0" }, "ports 443-443/udp"],
  [
    "a range starting at 443",
    { protocol: "tcp", from: 443, to: 444, cidr: "0.0.0.0/0" },
    "ports 443-444/tcp",
  ],
  ["443 over TCP", { protocol: "tcp", from: 443, to: 443, cidr: "0.0.0.0/0" }, undefined],
  ["80 as protocol number 6", { protocol: "6", from: 80, to: 80, cidr: "::/0" }, undefined],
  ["SSH from the VPC", { protocol: "tcp", from: 22, to: 22, cidr: "10.0.0.0/8" }, undefined],
];

describe("no-public-ingress on every resource that opens a port", () => {
  it.each(
    Object.keys(shapes).flatMap((shape) =>
      cases.map(([title, rule, ports]) => [shape, title, rule, ports] as const),
    ),
  )("%s: %s", async (shape, _title, rule, ports) => {
    const fixture = shapes[shape]!(rule);
    for (const stack of environments().names) {
      const found = await checkResource(stack, "no-public-ingress", fixture);
      expect(found.map((v) => v.message)).toEqual(
        ports === undefined ? [] : [message(stack, rule.cidr, ports)],
      );
    }
  });

  it("leaves an egress SecurityGroupRule alone", async () => {
    const egress = shapes["SecurityGroupRule"]!({
      protocol: "-1",
      from: 0,
      to: 0,
      cidr: "0.0.0.0/0",
    });
    const fixture = { ...egress, props: { ...egress.props, type: "egress" } };
    expect(await checkResource("prod", "no-public-ingress", fixture)).toEqual([]);
  });

  it("reads a single CIDR written as a string, and skips entries that are no rules", async () => {
    const fixture: Fixture = {
      type: SG,
      name: "open",
      props: {
        ingress: [
          "0.0.0.0/0",
          null,
          { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: "0.0.0.0/0" },
        ],
      },
    };
    expect(
      (await checkResource("prod", "no-public-ingress", fixture)).map((v) => v.message),
    ).toEqual([message("prod", "0.0.0.0/0", "ports 22-22/tcp")]);
  });
});
