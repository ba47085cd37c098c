// Freeport Android: open this directory in Android Studio (see README.md).
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "Freeport"

// app: Compose screens and everything that needs android.*
// core: the generated UniFFI bindings (Android flavour) + libfreeport_core.so per ABI
// presentation: plain-Kotlin view models and UI state; also built and tested by Maven (pom.xml)
include(":app", ":core", ":presentation")
