// RDS stays inside its VPC, and on a production stack cannot be deleted by a stray `pulumi destroy`
// or replacement.
import { Props, TYPES, show } from "./resources";

export const RDS_TYPES: readonly string[] = [TYPES.rdsInstance, TYPES.rdsCluster, TYPES.rdsClusterInstance];

/** The stacks held to production rules unless the pack's config says otherwise. */
export const DEFAULT_PRODUCTION_STACKS: readonly string[] = ["prod"];

export interface RdsConfig {
    /** Stack names that are production: their databases need deletion protection. */
    readonly productionStacks?: readonly string[];
}

/** The policy's config schema: `productionStacks`, compared with the stack's name. */
export const RDS_CONFIG_SCHEMA = {
    properties: {
        productionStacks: {
            type: "array" as const,
            items: { type: "string" as const },
            default: [...DEFAULT_PRODUCTION_STACKS],
            description: "Stack names that are production: their RDS instances and clusters need deletionProtection.",
        },
    },
};

export const isProduction = (stack: string, config: RdsConfig): boolean =>
    (config.productionStacks ?? DEFAULT_PRODUCTION_STACKS).includes(stack);

/** Violations of an RDS resource's inputs on `stack`. A cluster's instances carry no deletion protection of their own. */
export function checkRds(type: string, props: Props, stack: string, config: RdsConfig): string[] {
    const problems: string[] = [];
    if (type !== TYPES.rdsCluster && props.publiclyAccessible === true)
        problems.push("publiclyAccessible is true: set it to false, the database must not be reachable from outside its VPC");
    if (type !== TYPES.rdsClusterInstance && isProduction(stack, config) && props.deletionProtection !== true)
        problems.push(
            `deletionProtection is ${show(props.deletionProtection)} on production stack "${stack}" (productionStacks): set it to true`,
        );
    return problems;
}
