// What the legacy runtime's interpreter start left for user code: it was `python2.7 bootstrap.py`, so
// `site` had run (builtins exit, quit, help, copyright, credits, license; sitecustomize and usercustomize
// imported; sys.flags.no_site 0) and the script had done `reload(sys)` (sys.setdefaultencoding stays),
// set PYTHONPATH and sys.argv. Through the emulator and the bootstrap, under both error profiles.
#include <lambda_py27/testing/emulator.hpp>

#include "support/served_function.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

namespace json = boost::json;
using lambda_py27::test_support::data_dir;
using lambda_py27::test_support::function_setup;
using lambda_py27::test_support::served_function;

namespace {

const char* const profiles[] = {"legacy", "modern"};

function_setup site_function(const std::string& handler, const char* profile) {
    function_setup setup(handler);
    setup.task_root = data_dir() + "/site/task";
    setup.environment["LAMBDA_PY27_ERROR_PROFILE"] = profile;
    setup.environment["LAMBDA_PY27_OPT_ROOT"] = "/nonexistent-opt";
    return setup;
}

json::value answer(const function_setup& setup, const std::string& event = "{}") {
    served_function fn(setup);
    const auto r = fn.invoke(event);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.function_error, "") << r.body;
    return served_function::parse(r.body);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST(PythonSite, DefinesSitesBuiltinsWithTheirTypesAndTexts) {
    for (const char* profile : profiles) {
        SCOPED_TRACE(profile);
        const auto got = answer(site_function("site_probe.facts", profile));
        EXPECT_EQ(got.at("reprs").as_array().at(0), "Use exit() or Ctrl-D (i.e. EOF) to exit");
        EXPECT_EQ(got.at("reprs").as_array().at(1), "Use quit() or Ctrl-D (i.e. EOF) to exit");
        EXPECT_EQ(got.at("reprs").as_array().at(2),
                  "Type help() for interactive help, or help(object) for help about object.");
        EXPECT_EQ(got.at("reprs").as_array().at(4),
                  "    Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of thousands\n"
                  "    for supporting Python development.  See www.python.org for more information.");
        // The standard library's LICENSE.txt when it is there (more than a screen), else site's pointer.
        const auto& license = got.at("license").as_string();
        EXPECT_TRUE(license == "Type license() to see the full license text" ||
                    license == "See https://www.python.org/psf/license/")
            << license;
        EXPECT_EQ(got.at("types"), (json::array{"site.Quitter", "site.Quitter", "site._Helper", "site._Printer",
                                                "site._Printer", "site._Printer"}));
        EXPECT_EQ(got.at("exit_name"), "exit");
        EXPECT_EQ(got.at("no_site"), 0);
        EXPECT_EQ(got.at("site_module"), true);
    }
}

TEST(PythonSite, ShowsSysCopyrightAsCopyright) {
    const auto got = answer(site_function("site_probe.copyright_text", "legacy"));
    EXPECT_EQ(got.at(0), true);
}

TEST(PythonSite, EndsTheProcessWithTheStatusGivenToExitOrQuit) {
    for (const char* profile : profiles) {
        SCOPED_TRACE(profile);
        served_function fn(site_function("site_probe.exit_with", profile));
        for (const char* event : {R"({"status": 3})", R"({"status": 5, "quit": true})"}) {
            const auto r = fn.invoke(event);
            EXPECT_EQ(r.status, 502) << r.body;
            const auto body = served_function::parse(r.body).as_object();
            EXPECT_EQ(body.at("errorType"), "Runtime.ExitError") << r.body;
            const std::string want = std::string("exit status ") + (event[11] == '3' ? "3" : "5");
            EXPECT_NE(body.at("errorMessage").as_string().find(want), json::string::npos) << r.body;
        }
    }
}

TEST(PythonSite, RaisesSystemExitFromExitAsSiteDoes) {
    EXPECT_EQ(answer(site_function("site_probe.exit_caught", "legacy")),
              (json::array{"SystemExit", 4, json::array{4}}));
}

TEST(PythonSite, HelpCallsPydocHelp) {
    EXPECT_EQ(answer(site_function("site_probe.help_text", "legacy")),
              (json::array{json::array{"<built-in function len>"}}));
}

TEST(PythonSite, ImportsSitecustomizeThenUsercustomizeFromPythonpathBeforeTheHandlersModule) {
    for (const char* profile : profiles) {
        SCOPED_TRACE(profile);
        auto setup = site_function("site_probe.facts", profile);
        setup.environment["PYTHONPATH"] = data_dir() + "/site/customize";
        const auto got = answer(setup);
        EXPECT_EQ(got.at("order"), (json::array{"sitecustomize", "usercustomize", "site_probe"}));
        // sitecustomize chose latin-1; the legacy script set utf-8 after it.
        EXPECT_EQ(got.at("defaultencoding"), "utf-8");
        EXPECT_EQ(got.at("pythonpath"), json::value(data_dir() + "/site/customize"));
    }
}

// The search is first made with stat() (src/python/site_customize.cpp); whatever it cannot rule out is
// left to Python's import: a zip (zipimport), a package, a folder sitecustomize itself puts on sys.path.
TEST(PythonSite, ImportsTheCustomizationsFromAZipAPackageAndAFolderSitecustomizeAdds) {
    const std::pair<const char*, json::array> cases[] = {
        {"/site/zipped/customize.zip", {"sitecustomize", "usercustomize", "site_probe"}},
        {"/site/package_customize", {"sitecustomize", "site_probe"}},
        {"/site/chained", {"sitecustomize", "usercustomize", "site_probe"}},  // usercustomize in chained/more
    };
    for (const auto& [pythonpath, order] : cases) {
        SCOPED_TRACE(pythonpath);
        auto setup = site_function("site_probe.facts", "legacy");
        setup.environment["PYTHONPATH"] = data_dir() + pythonpath;
        EXPECT_EQ(answer(setup).at("order"), order);
    }
}

TEST(PythonSite, ImportsASitecustomizeFromTheTaskRoot) {
    auto setup = site_function("order_probe.handler", "legacy");
    setup.task_root = data_dir() + "/site/task_customize";
    EXPECT_EQ(answer(setup), (json::array{"sitecustomize", "order_probe"}));
}

TEST(PythonSite, ReportsAFailingSitecustomizeAndGoesOn) {
    for (const char* profile : profiles) {
        SCOPED_TRACE(profile);
        auto setup = site_function("site_probe.facts", profile);
        setup.environment["PYTHONPATH"] = data_dir() + "/site/failing_customize";
        setup.log_file = testing::TempDir() + "/lp27_site_log_" + std::to_string(::getpid());
        std::remove(setup.log_file.c_str());
        const auto got = answer(setup);
        EXPECT_EQ(got.at("order"), (json::array{"site_probe"}));
        const std::string log = read_file(setup.log_file);
        EXPECT_NE(log.find("'import sitecustomize' failed; use -v for traceback\n"), std::string::npos) << log;
        EXPECT_EQ(log.find("usercustomize"), std::string::npos) << log;  // its ImportError is silent
        std::remove(setup.log_file.c_str());
    }
}

TEST(PythonSite, LoadsAModuleThatCallsSetdefaultencodingAtImport) {
    for (const char* profile : profiles) {
        SCOPED_TRACE(profile);
        EXPECT_EQ(answer(site_function("sets_encoding.handler", profile)), (json::array{"utf-8", "caf\xc3\xa9"}));
    }
}

TEST(PythonSite, KeepsSetdefaultencodingAndSetsArgvAsTheLegacyScriptDid) {
    for (const char* profile : profiles) {
        SCOPED_TRACE(profile);
        const auto got = answer(site_function("site_probe.facts", profile));
        EXPECT_EQ(got.at("setdefaultencoding"), true);
        EXPECT_EQ(got.at("defaultencoding"), "utf-8");
        EXPECT_EQ(got.at("argv"), (json::array{"/var/runtime/awslambda/bootstrap.py"}));
    }
}

TEST(PythonSite, SetsPythonpathToTheRuntimeFolderForChildProcessesWhenUnset) {
    for (const char* profile : profiles) {
        SCOPED_TRACE(profile);
        auto setup = site_function("site_probe.facts", profile);
        setup.environment["LAMBDA_RUNTIME_DIR"] = "/var/runtime";
        const auto got = answer(setup);
        EXPECT_EQ(got.at("pythonpath"), "/var/runtime");
        EXPECT_EQ(got.at("child_pythonpath"), "/var/runtime");
        EXPECT_EQ(got.at("order"), (json::array{"site_probe"}));
    }
}

TEST(PythonSite, LetsALaterImportOfSiteChangeNothing) {
    for (const char* profile : profiles) {
        SCOPED_TRACE(profile);
        auto setup = site_function("site_probe.import_site", profile);
        setup.environment["PYTHONPATH"] = data_dir() + "/site/customize";
        const auto got = answer(setup);
        EXPECT_EQ(got.at("packages"), true);
        EXPECT_EQ(got.at("addsitedir"), true);
        EXPECT_EQ(got.at("path_unchanged"), true);
        EXPECT_EQ(got.at("builtins_unchanged"), true);
        EXPECT_EQ(got.at("setdefaultencoding"), true);
        EXPECT_EQ(got.at("same_module"), true);
        EXPECT_EQ(got.at("module_type"), "module");
        EXPECT_EQ(got.at("file"), "site.pyc");
        EXPECT_EQ(got.at("order"), (json::array{"sitecustomize", "usercustomize"}));  // not imported twice
    }
}
