import { describe, expect, it } from 'vitest';
import { defaultDaemonSettings } from './daemon-defaults.js';
import { DaemonSettingsSchema } from './daemon-settings.js';

describe('daemon settings defaults', () => {
  it('are what the schema gives a file with no settings', () => {
    expect(defaultDaemonSettings()).toStrictEqual(DaemonSettingsSchema.parse({}));
  });

  it('are a new object each call', () => {
    const a = defaultDaemonSettings();
    a.lock.ttl = 1;
    expect(defaultDaemonSettings().lock.ttl).toBe(15_000);
  });
});
