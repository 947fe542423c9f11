// IMDSv2 only: an instance whose metadata service still answers IMDSv1's plain GET hands its role's
// credentials to anything that can make the instance fetch a URL (SSRF).
import { Props, TYPES, show } from "./resources";

export const IMDS_TYPES: readonly string[] = [TYPES.instance];

/** Violations of an EC2 instance's inputs: its metadata service must demand session tokens, or be off. */
export function checkImds(props: Props): string[] {
    const options: Props = props.metadataOptions ?? {};
    if (options.httpEndpoint === "disabled" || options.httpTokens === "required") return [];
    return [`metadataOptions.httpTokens is ${show(options.httpTokens)}: set it to "required" so the instance answers IMDSv2 only`];
}
