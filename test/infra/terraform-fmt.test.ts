/**
 * `terraform fmt -check -recursive infra/terraform`. Terraform is installed on these machines (no
 * provider can be downloaded, so fmt is the check that runs here; validate is documented in
 * docs/deploy.md). A machine without terraform fails this test with a clear message: it is not skipped.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, TF_ROOT } from './hcl.js';

const TERRAFORM = process.env.TERRAFORM_BIN ?? 'terraform';

function terraform(args: string[]) {
  const env = { ...process.env };
  // A missing CLI config file only produces a warning; keep the output about formatting.
  delete env.TF_CLI_CONFIG_FILE;
  const res = spawnSync(TERRAFORM, args, { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
  if (res.error !== undefined) {
    throw new Error(
      `cannot run "${TERRAFORM}" (${res.error.message}). Install Terraform >= 1.9 or set TERRAFORM_BIN; ` +
        'the formatting check is part of npm test.',
    );
  }
  return res;
}

describe('terraform fmt', () => {
  it('every .tf file under infra/terraform is formatted', () => {
    const res = terraform(['fmt', '-check', '-recursive', '-diff', TF_ROOT]);
    expect(res.stdout, `unformatted (run: terraform fmt -recursive infra/terraform)\n${res.stdout}`).toBe('');
    expect(res.status).toBe(0);
  });

  it('the check detects a badly formatted file (it can fail)', () => {
    const res = spawnSync(TERRAFORM, ['fmt', '-check', '-'], {
      input: 'variable "x" {\ntype=string\n}\n',
      encoding: 'utf8',
      env: { ...process.env, TF_CLI_CONFIG_FILE: '' },
    });
    expect(res.error).toBeUndefined();
    expect(res.status).not.toBe(0);
  });
});
