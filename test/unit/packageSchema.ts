// The component package's schema, as Pulumi's analyzer reads it off the TypeScript (provider.ts):
// built once per test run (~7 s, it compiles the project) for every test that reads it.
import { componentProvider } from "../../components/componentPackage";

export interface PropertySpec {
    readonly type?: string;
    readonly $ref?: string;
    readonly items?: PropertySpec;
    readonly additionalProperties?: PropertySpec;
    readonly plain?: boolean;
    readonly optional?: boolean;
    readonly description?: string;
}
export interface TypeSpec {
    readonly type: string;
    readonly properties?: Record<string, PropertySpec>;
    readonly required?: string[];
    readonly enum?: Array<{ readonly value: string }>;
}
export interface PackageSchema {
    readonly name: string;
    readonly resources: Record<
        string,
        {
            isComponent: boolean;
            inputProperties: Record<string, PropertySpec>;
            properties: Record<string, PropertySpec>;
            required: string[];
        }
    >;
    readonly types: Record<string, TypeSpec>;
}

let schemaText: Promise<string> | undefined;
/** The analyzer compiles the whole project (~6 s): once for every test here. */
export async function packageSchema(): Promise<PackageSchema> {
    schemaText ??= componentProvider().getSchema();
    return JSON.parse(await schemaText) as PackageSchema;
}
