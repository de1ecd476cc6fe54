/**
 * The server log's settings (Triton's logging extension) and the logger that
 * reads them on every line: levels switched off, the verbose level, the two
 * line formats, children sharing their root's settings, and updates that are
 * all or nothing.
 */
import { describe, expect, it } from 'vitest';
import { LogSettings } from '../../runtime/logging/log-settings.ts';
import { createLogger } from '../../runtime/logging/logger.ts';

function recording(settings = new LogSettings()) {
  const lines: string[] = [];
  return { lines, log: createLogger({ settings, write: (line) => lines.push(line) }), settings };
}

describe('log settings', () => {
  it('reports every setting under Triton names, with its defaults', () => {
    expect(new LogSettings().toTriton()).toEqual({ log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default' });
  });

  it('changes only the settings named', () => {
    const settings = new LogSettings({ verboseLevel: 2 });
    settings.update({ log_info: false, log_format: 'ISO8601' });
    expect(settings.toTriton()).toMatchObject({ log_info: false, log_warning: true, log_verbose_level: 2, log_format: 'ISO8601' });
  });

  it.each([
    [{ log_info: 'yes' }, "log setting 'log_info' must be a boolean, got \"yes\""],
    [{ log_verbose_level: -1 }, "log setting 'log_verbose_level' must be an integer >= 0, got -1"],
    [{ log_verbose_level: 1.5 }, "log setting 'log_verbose_level' must be an integer >= 0, got 1.5"],
    [{ log_format: 'xml' }, 'log setting \'log_format\' must be one of "default", "ISO8601", got "xml"'],
    [{ log_file: '/tmp/x.log' }, "log setting 'log_file' cannot be changed"],
    [{ log_level: 1 }, "unknown log setting 'log_level'; the settings are log_file, log_info, log_warning, log_error, log_verbose_level, log_format"],
  ])('refuses %j with a message naming the setting, and changes nothing', (changes, message) => {
    const settings = new LogSettings();
    expect(() => settings.update({ log_warning: false, ...changes })).toThrow(message);
    expect(settings.toTriton()).toEqual(new LogSettings().toTriton());
  });

  it('accepts log_file set to what it is', () => {
    const settings = new LogSettings();
    settings.update({ log_file: '' });
    expect(settings.toTriton().log_file).toBe('');
  });
});

describe('the logger follows its settings on every line', () => {
  it('writes each level while it is on, and none once it is off', () => {
    const { lines, log, settings } = recording();
    log.info('i1');
    log.warn('w1');
    log.error('e1');
    settings.update({ log_info: false, log_warning: false, log_error: false });
    log.info('i2');
    log.warn('w2');
    log.error('e2');
    expect(lines.map((line) => line.split(' ').at(-1))).toEqual(['i1', 'w1', 'e1']);
  });

  it('writes verbose lines up to the verbose level', () => {
    const { lines, log, settings } = recording();
    log.verbose('hidden');
    settings.update({ log_verbose_level: 2 });
    log.verbose('one');
    log.verbose('two', 2);
    log.verbose('three', 3);
    expect(lines.map((line) => line.split(' ').at(-1))).toEqual(['one', 'two']);
  });

  it('formats lines as default (level, then the time in ms) or ISO8601 (time to the second, then the level)', () => {
    const { lines, log, settings } = recording();
    log.warn('hello');
    settings.update({ log_format: 'ISO8601' });
    log.warn('hello');
    expect(lines[0]).toMatch(/^W \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z hello$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ W hello$/);
  });

  it('children keep their prefix and share the root settings', () => {
    const { lines, log, settings } = recording();
    const child = log.child("model 'simple'");
    expect(child.settings).toBe(settings);
    child.info('loaded');
    settings.update({ log_info: false });
    child.info('again');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ model 'simple' loaded$/);
  });

  it('quiet (tests) starts with info off', () => {
    expect(createLogger({ quiet: true, write: () => {} }).settings.info).toBe(false);
  });
});
