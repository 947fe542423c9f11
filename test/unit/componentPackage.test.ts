// FoobarInfra as a component package (provider.ts, PulumiPlugin.yaml): the schema Pulumi's analyzer
// reads off the TypeScript holds every config key and every output with its type and description,
// and the provider's construct (what a YAML or Python program calls) registers exactly what the
// TypeScript program registers for the same config.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { componentProvider, PACKAGE_NAME } from "../../components/componentPackage";
import { PropertySpec, packageSchema, PackageSchema } from "./packageSchema";
import { Field, GroupField, OUTPUT_FIX } from "../../components/config/schema";
import { FOOBAR_INFRA_TYPE } from "../../components/foobarInfra";
import { FOOBAR_SCHEMA } from "../../components/foobarSchema";
import { OUTPUT_NAMES } from "../../components/outputs";
import { defineStack } from "../../components/stack";
import { RecordedResource, loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { TLS } from "./tlsFixtures";
import { runDev, withPlainStackTraces } from "./stackHelpers";

const ROOT = path.join(__dirname, "..", "..");

const typeRef = (name: string) => `#/types/${PACKAGE_NAME}:index:${name}`;

/** The type a schema property must have for a config field; nested groups are checked in turn. */
function expectProperty(schema: PackageSchema, key: string, field: Field, spec: PropertySpec | undefined): void {
    assert.ok(spec, `${key}: missing from the package schema`);
    assert.ok(
        spec.description?.includes(field.doc),
        `${key}: description ${JSON.stringify(spec.description)} does not carry the schema's doc`,
    );
    // Everything shapes the plan when the component is constructed: plain; a PEM may be a secret output.
    assert.equal(spec.plain, field.type === "pem" || field.type === "secret" ? undefined : true, `${key}: plain`);
    switch (field.type) {
        case "choice":
            assert.equal(spec.$ref, typeRef(field.typeName), key);
            assert.deepEqual(
                schema.types[`${PACKAGE_NAME}:index:${field.typeName}`].enum?.map((e) => e.value),
                [...field.values],
                key,
            );
            return;
        case "integer":
            return assert.equal(spec.type, "number", key);
        case "flag":
            return assert.equal(spec.type, "boolean", key);
        case "text":
        case "secret":
        case "pem":
            return assert.equal(spec.type, "string", key);
        case "group":
            assert.equal(spec.$ref, typeRef(field.names.args), key);
            return expectGroup(schema, key, field.names.args, field.fields);
        case "variants": {
            assert.equal(spec.$ref, typeRef(field.names.args), key);
            const flat = Object.fromEntries(Object.values(field.variants).flatMap((v) => Object.entries(v.fields)));
            const type = schema.types[`${PACKAGE_NAME}:index:${field.names.args}`];
            assert.deepEqual(Object.keys(type.properties ?? {}), [field.tag, ...Object.keys(flat)], key);
            assert.equal(type.properties?.[field.tag].$ref, typeRef(field.tagTypeName), `${key}.${field.tag}`);
            for (const [name, f] of Object.entries(flat)) expectProperty(schema, `${key}.${name}`, f, type.properties?.[name]);
            return;
        }
        case "list":
            assert.equal(spec.type, "array", key);
            assert.equal(spec.items?.$ref, typeRef(field.item.names.args), key);
            return expectGroup(schema, `${key}[]`, field.item.names.args, field.item.fields);
        default: {
            const never: never = field;
            throw new Error(`unknown field ${JSON.stringify(never)}`);
        }
    }
}

function expectGroup(schema: PackageSchema, key: string, typeName: string, fields: GroupField["fields"]): void {
    const type = schema.types[`${PACKAGE_NAME}:index:${typeName}`];
    assert.ok(type, `${key}: no type ${typeName}`);
    assert.deepEqual(Object.keys(type.properties ?? {}), Object.keys(fields), `${key}: keys`);
    const required = Object.entries(fields)
        .filter(([, f]) => f.required)
        .map(([name]) => name)
        .sort();
    assert.deepEqual(type.required ?? [], required, `${key}: required keys`);
    for (const [name, f] of Object.entries(fields)) expectProperty(schema, `${key}.${name}`, f, type.properties?.[name]);
}

/** The `foobar:` keys of a stack file, as a program in another language passes them. */
function stackArgs(stack: string): Record<string, unknown> {
    const config = loadStackConfig(stack);
    return Object.fromEntries(
        Object.entries(config).flatMap(([k, v]) => (k.startsWith("foobar:") ? [[k.slice("foobar:".length), v]] : [])),
    );
}

/** Runs the provider's construct under the mocks, as the engine calls it for a remote component. */
function construct(name: string, inputs: pulumi.Inputs, stack = "dev") {
    // The engine hands the component provider the program's config: aws:region, not foobar:*.
    const providerConfig = Object.fromEntries(Object.entries(loadStackConfig(stack)).filter(([k]) => !k.startsWith("foobar:")));
    return withPlainStackTraces(() =>
        runUnderMocks(
            providerConfig,
            () =>
                componentProvider()
                    .construct(name, FOOBAR_INFRA_TYPE, inputs, {})
                    .then((r) => r.state),
            { stack },
        ),
    );
}

/** Values the mocks draw at random (passwords, ids), each as the name of what drew it. */
function randomValues(resources: readonly RecordedResource[]): Array<[string, string]> {
    return resources
        .filter((r) => r.type.startsWith("random:"))
        .flatMap((r) =>
            Object.entries(r.state).flatMap(([field, v]): Array<[string, string]> =>
                typeof v === "string" && !(field in r.inputs) ? [[v, `<${r.name}.${field}>`]] : [],
            ),
        );
}

/** What identifies a registration and what it was given, with the random values named. */
function registered(resources: readonly RecordedResource[]) {
    const named = randomValues(resources);
    const text = (value: unknown) => named.reduce((t, [v, name]) => t.split(v).join(name), JSON.stringify(value));
    // In the order of their names: registrations that wait on outputs finish in any order.
    return resources
        .map((r) => ({ type: r.type, name: r.name, inputs: text(r.inputs), secretPaths: r.secretPaths, protect: r.options.protect }))
        .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
}

describe("component package", function () {
    this.timeout(60_000);

    it("is the package foobar, whose one resource is the component FoobarInfra", async () => {
        const schema = await packageSchema();
        assert.equal(schema.name, "foobar");
        assert.deepEqual(Object.keys(schema.resources), [FOOBAR_INFRA_TYPE]);
        assert.equal(schema.resources[FOOBAR_INFRA_TYPE].isComponent, true);
        const manifest = yaml.load(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8"));
        assert.deepEqual(manifest, { runtime: "nodejs" });
    });

    it("has every config key as an input, with its type and description", async () => {
        const schema = await packageSchema();
        const inputs = schema.resources[FOOBAR_INFRA_TYPE].inputProperties;
        assert.deepEqual(Object.keys(inputs), Object.keys(FOOBAR_SCHEMA.fields));
        for (const [name, field] of Object.entries(FOOBAR_SCHEMA.fields)) expectProperty(schema, name, field, inputs[name]);
    });

    it("has every output, typed and described", async () => {
        const schema = await packageSchema();
        const component = schema.resources[FOOBAR_INFRA_TYPE];
        assert.deepEqual(Object.keys(component.properties), [...OUTPUT_NAMES]);
        assert.deepEqual(component.required, [...OUTPUT_NAMES].sort());
        const shape = (p: PropertySpec): string => (p.type === "array" ? `${shape(p.items ?? {})}[]` : (p.type ?? p.$ref ?? "?"));
        assert.deepEqual(Object.fromEntries(Object.entries(component.properties).map(([k, p]) => [k, shape(p)])), {
            url: "string",
            loadBalancerAddress: "string",
            servers: `${typeRef("ServerSummary")}[]`,
            databaseWriterEndpoint: "string",
            databaseReaderEndpoints: "string[]",
            caCertificatePem: "string",
            certificatePem: "string",
            diagram: "string",
            ssmParameterNames: "string[]",
            monitoringUrl: "string",
            monitoringPassword: "string",
            monitoringAlarms: "string[]",
            monitoringAlertTopic: "string",
        });
        for (const [name, p] of Object.entries(component.properties))
            assert.match(p.description ?? "", /^\S.{20,}/s, `${name} has no description`);
        const service = schema.types[`${PACKAGE_NAME}:index:ServiceSummary`].properties ?? {};
        assert.deepEqual(service.addresses, {
            type: "object",
            additionalProperties: { type: "string" },
            description: service.addresses.description,
        });
    });

    // dev: docker; staging: aws with a Galera cluster and readiness gates (prod's resources are
    // compared with staging's kinds by the stack tests).
    for (const stack of ["dev", "staging"]) {
        it(`construct registers what the TypeScript program registers (${stack})`, async () => {
            const program = await (stack === "dev"
                ? runDev()
                : withPlainStackTraces(() => runUnderMocks(loadStackConfig(stack), defineStack, { stack })));
            const viaProvider = await construct(`foobar-${stack}`, stackArgs(stack), stack);
            assert.ok(program.resources.length > 20, `only ${program.resources.length} resources`);
            assert.deepEqual(registered(viaProvider.resources), registered(program.resources));
            assert.deepEqual(Object.keys(await viaProvider.outputs), [...OUTPUT_NAMES]);
        });
    }

    it("construct takes the provided certificate and key as secret outputs, and keeps them secret", async () => {
        const tls = { mode: "provided", certificate: pulumi.secret(TLS.cert), key: pulumi.secret(TLS.key) };
        const run = await construct("foobar-dev", { ...stackArgs("dev"), tls });
        const keyFile = run.resources.find(
            (r) => JSON.stringify(r.inputs).includes("BEGIN PRIVATE KEY") || JSON.stringify(r.inputs).includes("PRIVATE KEY-----"),
        );
        assert.ok(keyFile, "the provided key reaches no resource");
        assert.ok(keyFile.secretPaths.length > 0, `${keyFile.type} ${keyFile.name} holds the key in plain text`);
    });

    it("construct refuses an output where a plain value is needed, naming the key, before anything exists", async () => {
        const run = construct("foobar-dev", { ...stackArgs("dev"), domain: pulumi.output("www.foobar.com") });
        await assert.rejects(run, (err: Error) => {
            assert.match(err.message, /foobar:domain/);
            assert.ok(err.message.includes(OUTPUT_FIX), err.message);
            return true;
        });
    });
});
