#!/usr/bin/env node
/**
 * CDK app entry: loads the gateway config named by GATEWAY_CONFIG (default
 * config/local.yaml), fails with the field's name when it is invalid, and
 * defines the stack (GATEWAY_LOCAL=1, set by the local deploy, makes it a local
 * one: see gatewayStackProps).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configWarnings } from '../core/config/cross-check';
import { ConfigError, configPath, loadGatewayConfig } from '../core/config/load';
import { GatewayStack, gatewayStackProps } from '../lib/gateway-stack';

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
  const props = gatewayStackProps(config);
  // On stderr, so they show in every synth and deploy: legal, but an operator should know.
  for (const warning of configWarnings(config, { local: props.local })) console.warn(`warning: ${warning}`);
  const app = new App();
  new GatewayStack(app, config.stackName, props);
  // Every synth (and so every deploy) is checked against the AWS Solutions rules.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

main();
