#!/usr/bin/env node
/**
 * CDK app entry: loads the gateway config named by GATEWAY_CONFIG (default
 * config/local.yaml), fails with the field's name when it is invalid, and
 * defines the stack. GATEWAY_LOCAL=1 (set by the local deploy) makes stateful
 * resources disposable.
 */
import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, configPath, loadGatewayConfig } from '../core/config/load';
import { routingWarnings } from '../core/domain/routing';
import { GatewayStack } from '../lib/gateway-stack';

function main(): void {
  let config;
  try {
    config = loadGatewayConfig(configPath());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  for (const warning of routingWarnings(config.routes)) console.warn(`warning: ${warning}`);
  const app = new App();
  new GatewayStack(app, config.stackName, {
    config,
    local: process.env.GATEWAY_LOCAL === '1',
    ...(process.env.AWS_ENDPOINT_URL ? { emulatorEndpoint: process.env.AWS_ENDPOINT_URL } : {}),
    statefulRemovalPolicy: process.env.GATEWAY_LOCAL === '1' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  // Every synth (and so every deploy) is checked against the AWS Solutions rules.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

main();
