#!/bin/sh
# The aws CLI as resource-agents' aws-vpc-move-ip runs it (its awscli parameter): /usr/bin/aws with
# the instance role, against the regional endpoint. THE SEAM (README, "Boot rehearsal seam"), as
# for SSM in foobar-secrets: if /etc/foobar/ec2-endpoint exists, its trimmed content is the EC2
# endpoint URL (the boot rehearsal's stand-in). Nothing else differs.
if [ -r /etc/foobar/ec2-endpoint ]; then
    endpoint=$(tr -d '[:space:]' < /etc/foobar/ec2-endpoint)
    exec /usr/bin/aws --endpoint-url "$endpoint" "$@"
fi
exec /usr/bin/aws "$@"
