// `npm run schema`: prints the component package's schema (JSON), as `pulumi package get-schema .`
// would get it from provider.ts: read by Pulumi's analyzer from FoobarInfra's TypeScript.
import { componentProvider } from "../components/componentPackage";

componentProvider()
    .getSchema()
    .then((schema) => console.log(JSON.stringify(JSON.parse(schema), null, 2)))
    .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
