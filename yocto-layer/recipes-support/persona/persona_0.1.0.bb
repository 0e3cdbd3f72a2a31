SUMMARY = "persona: driver personalities chosen from the driving context"
DESCRIPTION = "The persona daemon decodes CAN signals, tracks the driving context, switches \
signed driver personalities through /dev/persona and publishes what it did over MQTT."
SECTION = "console/utils"

# persona itself, then the production dependencies shipped in its node_modules tarball.
LICENSE = "Apache-2.0 & ${PERSONA_MODULES_LICENSE}"
LIC_FILES_CHKSUM = "file://LICENSE;md5=3b83ef96387f14655fc854ddc3c6bd57 \
                    ${PERSONA_MODULES_LIC_FILES_CHKSUM}"

require persona.inc

# The compiled daemon, and its production node_modules (installed with scripts disabled)
# unpacked into it. Not the npm fetchers: the newest release skips recipes that use them.
SRC_URI += "${PERSONA_RELEASE_URL}/persona-node-modules-${PV}.tar.gz;name=modules;subdir=persona-${PV} \
            file://persona.service \
            file://persona-host.service \
"
S = "${PERSONA_SRCDIR}"

# Node's headers for node-gyp come from nodejs-native, as npm.bbclass does.
DEPENDS = "nodejs-native"

inherit python3native systemd useradd

## must match the mapping in nodejs.bb (meta-openembedded), like npm.bbclass
def persona_node_arch(a, d):
    import re
    if re.match('i.86$', a): return 'ia32'
    if re.match('x86_64$', a): return 'x64'
    if re.match('aarch64$', a): return 'arm64'
    if re.match('(powerpc64|powerpc64le|ppc64le)$', a): return 'ppc64'
    if re.match('powerpc$', a): return 'ppc'
    return a

PERSONA_NODE_ARCH = "${@persona_node_arch(d.getVar('TARGET_ARCH'), d)}"

do_configure[noexec] = "1"

# The two native addons (persona's own, which also reads live CAN, and socketcan's, which the
# package still lists) are compiled here for the target, with the node-gyp the lockfile pins;
# nothing is downloaded.
do_compile() {
    for addon in ${S}/native ${S}/node_modules/socketcan; do
        node ${S}/node_modules/node-gyp/bin/node-gyp.js rebuild -C $addon \
            --nodedir=${RECIPE_SYSROOT_NATIVE}${prefix_native} --arch=${PERSONA_NODE_ARCH} \
            --python=${PYTHON} --release
    done
}

do_install() {
    install -d ${D}${PERSONA_APPDIR}
    cp -R --no-preserve=ownership ${S}/package.json ${S}/dist ${S}/node_modules \
        ${S}/vehicles ${S}/statecharts ${D}${PERSONA_APPDIR}/

    # Only the compiled addons, not gyp's intermediate files; and not node-gyp itself, which
    # socketcan lists as a dependency but only the build needs.
    rm -rf ${D}${PERSONA_APPDIR}/node_modules/socketcan/build ${D}${PERSONA_APPDIR}/node_modules/node-gyp
    install -d ${D}${PERSONA_APPDIR}/node_modules/socketcan/build/Release
    install -m 0755 ${S}/node_modules/socketcan/build/Release/*.node \
        ${D}${PERSONA_APPDIR}/node_modules/socketcan/build/Release/
    install -D -m 0755 ${S}/native/build/Release/persona.node \
        ${D}${PERSONA_APPDIR}/native/build/Release/persona.node

    install -d ${D}${bindir}
    ln -s ${@os.path.relpath(d.getVar('PERSONA_APPDIR'), d.getVar('bindir'))}/dist/src/cli/main.js ${D}${bindir}/persona

    for unit in persona.service persona-host.service; do
        install -D -m 0644 ${PERSONA_UNPACKDIR}/$unit ${D}${systemd_system_unitdir}/$unit
        sed -i -e 's,@BINDIR@,${bindir},g' -e 's,@SYSCONFDIR@,${sysconfdir},g' \
            ${D}${systemd_system_unitdir}/$unit
    done
}

# The hypervisor side of the shared namespace (docs/namespace.md): the same program, its
# own unit. A host image installs persona-host and writes /etc/persona/persona-host.json.
PACKAGES =+ "${PN}-host"
SUMMARY:${PN}-host = "persona host: instance contexts and signed personalities for a hypervisor's guests"
FILES:${PN}-host = "${systemd_system_unitdir}/persona-host.service"
RDEPENDS:${PN}-host = "${PN}"

FILES:${PN} += "${PERSONA_APPDIR}"

RDEPENDS:${PN} = "nodejs"
RRECOMMENDS:${PN} = "kernel-module-persona"

SYSTEMD_PACKAGES = "${PN} ${PN}-host"
SYSTEMD_SERVICE:${PN} = "persona.service"
SYSTEMD_SERVICE:${PN}-host = "persona-host.service"

USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system persona"
USERADD_PARAM:${PN} = "--system --no-create-home --home-dir /nonexistent \
                       --shell ${sbindir}/nologin --gid persona persona"
