// Encrypted at rest: EC2 volumes (root, attached, standalone) and RDS storage.
import { Props, TYPES, list, show } from "./resources";

export const ENCRYPTION_TYPES: readonly string[] = [TYPES.instance, TYPES.ebsVolume, TYPES.rdsInstance, TYPES.rdsCluster];

const mustBeTrue = (path: string, value: unknown): string[] => (value === true ? [] : [`${path} is ${show(value)}: set it to true`]);

/**
 * Violations of a resource's inputs. Each flag must be set explicitly: an unset one means the
 * account's default, which a policy cannot see. An RDS read replica is held to it too.
 */
export function checkEncryption(type: string, props: Props): string[] {
    switch (type) {
        case TYPES.instance:
            return [
                ...mustBeTrue("rootBlockDevice.encrypted", props.rootBlockDevice?.encrypted),
                ...list<Props>(props.ebsBlockDevices).flatMap((d, i) => mustBeTrue(`ebsBlockDevices[${i}].encrypted`, d.encrypted)),
            ];
        case TYPES.ebsVolume:
            return mustBeTrue("encrypted", props.encrypted);
        case TYPES.rdsInstance:
        case TYPES.rdsCluster:
            return mustBeTrue("storageEncrypted", props.storageEncrypted);
        default:
            return [];
    }
}
